package org.clinlora.platform.failure;

/**
 * Try again later: a bounded queue is full ({@code queue_full}), or the caller is over its rate ({@code rate_limited}).
 * The REST edge answers 429 with {@code Retry-After} set to {@link #retryAfterSeconds()}.
 */
public final class Busy extends Failure {
    /** What a full queue tells the client to wait: long enough for the queue to move. */
    public static final long DEFAULT_RETRY_AFTER_SECONDS = 5;

    private final long retryAfterSeconds;

    public Busy(String message) {
        this("queue_full", message, DEFAULT_RETRY_AFTER_SECONDS);
    }

    public Busy(String reason, String message, long retryAfterSeconds) {
        super(reason, message);
        this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
