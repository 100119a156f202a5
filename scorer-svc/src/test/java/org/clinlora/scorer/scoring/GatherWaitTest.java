package org.clinlora.scorer.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A lone client's request runs at once; max-wait gathers only while requests arrive together. */
class GatherWaitTest {
    @Test
    void waitsOnlyAfterABatchOfSeveralRequests() {
        GatherWait wait = new GatherWait(5_000_000);
        assertEquals(0, wait.nanos(), "the first request after start-up runs at once");
        wait.ran(1, false);
        assertEquals(0, wait.nanos(), "a lone client never pays max-wait");
        wait.ran(3, false);
        assertEquals(5_000_000, wait.nanos(), "concurrent requests: gather for max-wait");
        wait.ran(1, false);
        assertEquals(0, wait.nanos(), "back to one at a time");
        wait.ran(1, true);
        assertEquals(5_000_000, wait.nanos(), "two clients taking turns: the other's request came during the forward");
    }
}
