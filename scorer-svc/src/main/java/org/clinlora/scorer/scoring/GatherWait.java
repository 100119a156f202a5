package org.clinlora.scorer.scoring;

/**
 * How long the model thread waits for more requests after taking the first: {@code max-wait} while requests arrive
 * together (the last batch served more than one), none otherwise. A lone client's request then runs at once instead of
 * paying the wait on every call; under concurrent load the requests that came during the last forward are already
 * queued, and the wait only gathers stragglers.
 */
final class GatherWait {
    private final long maxWaitNanos;
    private boolean together;

    GatherWait(long maxWaitNanos) {
        this.maxWaitNanos = maxWaitNanos;
    }

    /** Nanoseconds to wait for more requests after the first of the next batch. */
    long nanos() {
        return together ? maxWaitNanos : 0;
    }

    /** A batch of {@code requests} requests ran; {@code queuedMeanwhile}: another request is waiting now. */
    void ran(int requests, boolean queuedMeanwhile) {
        together = requests > 1 || queuedMeanwhile;
    }
}
