package org.clinlora.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bench score --adapters 1} warmed up an empty first half and failed ("Index -1 out of bounds for length 0"):
 * every warm-up group has adapters to score.
 */
class BenchScoreWarmUpTest {
    @Test
    void oneAdapterIsOneGroupAndMoreSplitInTwoNonEmptyHalves() {
        assertEquals(List.of(List.of("t0")), BenchScoreCommand.warmUpHalves(List.of("t0")));
        assertEquals(
                List.of(List.of("t0"), List.of("t1", "t2")), BenchScoreCommand.warmUpHalves(List.of("t0", "t1", "t2")));
    }
}
