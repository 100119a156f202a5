package org.clinlora.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What the guard reports when the user's bucket is not as the build found it: each key added, removed or rewritten. */
class UserBucketTest {

    @Test
    void anUnchangedBucketHasNoDifferencesAndEachChangeIsNamedByItsKey() {
        List<String> before = List.of(
                "adapters/los/1/adapter_config.json 9a1f 120",
                "models/tiny/config.json 77c0 310",
                "notes/a b.csv e1 4");
        assertEquals(List.of(), UserBucket.differences(before, before));
        List<String> after = List.of(
                "adapters/bench-task-1/1/adapter_config.json 5d2e 120",
                "adapters/los/1/adapter_config.json 0b3c 121",
                "notes/a b.csv e1 4");
        assertEquals(
                List.of(
                        "added adapters/bench-task-1/1/adapter_config.json",
                        "rewritten adapters/los/1/adapter_config.json (9a1f 120 → 0b3c 121)",
                        "removed models/tiny/config.json"),
                UserBucket.differences(before, after));
    }

    @Test
    void aBucketThatAppearsOrDisappearsIsAChange() {
        assertEquals(List.of(), UserBucket.differences(List.of("absent"), List.of("absent")));
        assertEquals(
                List.of("rewritten (the bucket itself) (absent → present)"),
                UserBucket.differences(List.of("absent"), List.of()));
        assertEquals(
                List.of("rewritten (the bucket itself) (present → absent)", "removed x.json"),
                UserBucket.differences(List.of("x.json e 1"), List.of("absent")));
    }
}
