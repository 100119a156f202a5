package org.clinlora.scorer.scoring;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;

/**
 * The scorer's Prometheus metrics (at /q/metrics): whether the base model is loaded, queue depth, batch size and
 * forward time per batch, rows scored, request latency per entry point (histograms), and the adapter cache's residents,
 * hits, loads, evictions and cold-load time (p50 and p99). The scheduler and cache keep plain counters; this class only
 * reads them, so they stay testable without a registry.
 */
@ApplicationScoped
public class ScorerMetrics {
    private final MeterRegistry registry;
    private final BatchScheduler scheduler;
    private final AdapterCache cache;
    private final ScoringModel model;
    private DistributionSummary batchRows;
    private Timer batchForward;

    public ScorerMetrics(MeterRegistry registry, BatchScheduler scheduler, AdapterCache cache, ScoringModel model) {
        this.registry = registry;
        this.scheduler = scheduler;
        this.cache = cache;
        this.model = model;
    }

    void onStart(@Observes StartupEvent e) {
        Gauge.builder("clinlora.scorer.model.loaded", model, m -> m.loaded() ? 1 : 0)
                .description("1 once the base model is loaded and this replica can score, 0 before")
                .register(registry);
        Gauge.builder("clinlora.scorer.queue.rows", scheduler, BatchScheduler::queuedRows)
                .description("rows waiting or being scored")
                .register(registry);
        batchRows = DistributionSummary.builder("clinlora.scorer.batch.rows")
                .description("rows per model batch")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64)
                .register(registry);
        batchForward = Timer.builder("clinlora.scorer.batch.forward")
                .description("forward time of one batch")
                .publishPercentileHistogram()
                .register(registry);
        scheduler.onBatch((rows, seconds) -> {
            batchRows.record(rows);
            batchForward.record(Duration.ofNanos((long) (seconds * 1e9)));
        });
        Gauge.builder("clinlora.scorer.adapters.resident", cache, c -> c.stats()[0])
                .description("adapter versions resident")
                .register(registry);
        Gauge.builder("clinlora.scorer.adapters.resident.bytes", cache, c -> c.stats()[1])
                .baseUnit("bytes")
                .register(registry);
        FunctionCounter.builder("clinlora.scorer.adapters.cache.hits", cache, c -> c.counts()[0])
                .description("adapter versions found resident or loading")
                .register(registry);
        FunctionCounter.builder("clinlora.scorer.adapters.cache.loads", cache, c -> c.counts()[1])
                .description("adapter versions downloaded, verified and read")
                .register(registry);
        FunctionCounter.builder("clinlora.scorer.adapters.cache.evictions", cache, c -> c.counts()[2])
                .description("adapter versions evicted (LRU)")
                .register(registry);
        Timer loads = Timer.builder("clinlora.scorer.adapters.load")
                .description("one adapter version's cold load: download (or local copy), sha256 check and read")
                .publishPercentiles(0.5, 0.99)
                .publishPercentileHistogram()
                .register(registry);
        cache.onLoad(nanos -> loads.record(Duration.ofNanos(nanos)));
    }

    /**
     * Latency of one request through an entry point (rest, v2, kafka); rows/s is the rate of the batch-rows summary's
     * total.
     */
    public Timer requestLatency(String entryPoint) {
        return Timer.builder("clinlora.scorer.request.latency")
                .tag("entry", entryPoint)
                .description("time from request to probabilities")
                .publishPercentileHistogram()
                .register(registry);
    }
}
