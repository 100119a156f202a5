package org.clinlora.trainer.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * The finished-jobs counters exist at 0 from the start: Prometheus's increase() over a short-lived worker sees its
 * first failure only if the series was scraped before it.
 */
class TrainerMetricsTest {
    @Test
    void everyOutcomeCounterStartsAtZero() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TrainerMetrics metrics = new TrainerMetrics(registry);
        for (String status : TrainerMetrics.OUTCOMES) {
            Counter c = registry.find("clinlora.trainer.jobs.finished")
                    .tag("status", status)
                    .counter();
            assertNotNull(c, status);
            assertEquals(0.0, c.count(), status);
        }
        metrics.finished("failed");
        assertEquals(
                1.0,
                registry.get("clinlora.trainer.jobs.finished")
                        .tag("status", "failed")
                        .counter()
                        .count());
    }
}
