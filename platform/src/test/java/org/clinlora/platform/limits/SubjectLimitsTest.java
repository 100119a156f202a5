package org.clinlora.platform.limits;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.clinlora.platform.failure.Busy;
import org.junit.jupiter.api.Test;

class SubjectLimitsTest {
    final AtomicLong now = new AtomicLong(1_000_000_000L);

    SubjectLimits limits(double rps, double burst, double bytesPerSecond, double byteBurst) {
        return new SubjectLimits(true, rps, burst, bytesPerSecond, byteBurst, now::get);
    }

    void advanceMillis(long ms) {
        now.addAndGet(ms * 1_000_000L);
    }

    @Test
    void aFloodingSubjectIsRefusedWithTheSecondsUntilItsNextRequestPassesAndOthersAreNot() {
        SubjectLimits l = limits(2, 4, 1e9, 1e9);
        for (int i = 0; i < 4; i++) l.admit("pipeline-a", 0);
        Busy refused = assertThrows(Busy.class, () -> l.admit("pipeline-a", 0));
        assertEquals("rate_limited", refused.reason());
        assertEquals(1, refused.retryAfterSeconds(), "one token comes back in half a second: say 1 s");
        assertTrue(refused.getMessage().contains("pipeline-a")
                && refused.getMessage().contains("2 requests/s"));
        for (int i = 0; i < 4; i++) assertDoesNotThrow(() -> l.admit("pipeline-b", 0), "another subject's own burst");
        advanceMillis(500);
        assertDoesNotThrow(() -> l.admit("pipeline-a", 0), "refilled at 2/s");
        assertThrows(Busy.class, () -> l.admit("pipeline-a", 0));
    }

    @Test
    void noteBytesAreLimitedAndOneRequestBiggerThanTheBurstPassesWhenTheBucketIsFull() {
        SubjectLimits l = limits(1000, 1000, 1000, 4000);
        l.admit("uploader", 10_000); // a big upload: admitted on a full bucket, 6000 bytes owed
        Busy refused = assertThrows(Busy.class, () -> l.admit("uploader", 100));
        assertEquals(7, refused.retryAfterSeconds(), "6100 bytes at 1000/s: 7 s, rounded up");
        advanceMillis(7_000);
        assertDoesNotThrow(() -> l.admit("uploader", 100));
    }

    @Test
    void aRefusedRequestTakesNothing() {
        SubjectLimits l = limits(1000, 1000, 100, 100);
        l.admit("s", 100);
        for (int i = 0; i < 50; i++) assertThrows(Busy.class, () -> l.admit("s", 50));
        advanceMillis(500);
        assertDoesNotThrow(() -> l.admit("s", 50), "the 50 refusals did not deepen the debt");
    }

    @Test
    void idleSubjectsAreForgottenPastTheBound() {
        SubjectLimits l = limits(1, 1, 1e9, 1e9);
        l.admit("busy", 0); // owes its one token for a second
        for (int i = 0; i < SubjectLimits.MAX_SUBJECTS; i++) l.admit("s" + i, 0);
        advanceMillis(2_000); // all full again
        l.admit("newcomer", 0);
        assertEquals(1, l.subjects(), "only the newcomer is left");
        l.admit("busy", 0);
        assertThrows(Busy.class, () -> l.admit("busy", 0), "a forgotten subject comes back with one burst, no more");
    }

    @Test
    void disabledLimitsAdmitEverything() {
        SubjectLimits l = new SubjectLimits(false, 1, 1, 1, 1, now::get);
        // Through the public calls, with no token at all: limits that are off never read it.
        for (int i = 0; i < 1000; i++) {
            l.admit(1_000_000);
            l.charge(1_000_000);
        }
        assertEquals(0, l.subjects(), "nothing is counted");
    }

    @Test
    void settingsThatCannotWorkAreRefusedAtStart() {
        assertThrows(IllegalArgumentException.class, () -> limits(0, 10, 10, 10));
        assertThrows(IllegalArgumentException.class, () -> limits(10, 0.5, 10, 10));
    }

    @Test
    void noteBytesAreUtf8() {
        assertEquals(1 + 2 + 3 + 4, SubjectLimits.utf8Length("a\u00e9\u20ac\ud83d\ude00"));
    }
}
