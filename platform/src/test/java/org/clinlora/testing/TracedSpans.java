package org.clinlora.testing;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * For the trace tests that follow one request from the service under test to a real registry-svc process: the settings
 * that turn tracing on in both (each exports over OTLP to a closed port, so spans are made and sent nowhere), and the
 * wait for a finished span in the in-process service's in-memory exporter.
 */
public final class TracedSpans {
    private TracedSpans() {}

    /**
     * Config overrides for the in-process service: tracing on, and finished spans handed to the exporters every 50 ms
     * instead of every 5 s, so that a test waits for its span, not for the batch processor's schedule.
     */
    public static Map<String, String> inProcess() {
        return Map.of(
                "quarkus.otel.sdk.disabled",
                "false",
                "quarkus.otel.exporter.otlp.traces.endpoint",
                LocalServices.NOWHERE,
                "quarkus.otel.bsp.schedule.delay",
                "PT0.05S");
    }

    /** {@link LocalServices} arguments: a registry-svc process with tracing on. */
    public static Map<String, String> registryProcess() {
        return Map.of(
                "services",
                "registry",
                "env",
                "CLINLORA_TRACING_DISABLED=false,CLINLORA_OTLP_ENDPOINT=" + LocalServices.NOWHERE);
    }

    /** The first finished span of {@code traceId} that matches, waiting for the batch exporter (at most 30 s). */
    public static SpanData await(InMemorySpanExporter spans, String traceId, Predicate<SpanData> which)
            throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            Optional<SpanData> found = spans.getFinishedSpanItems().stream()
                    .filter(s -> s.getTraceId().equals(traceId))
                    .filter(which)
                    .findFirst();
            if (found.isPresent()) return found.get();
            Thread.sleep(100);
        }
        throw new AssertionError("no such span of trace " + traceId + " among " + spans.getFinishedSpanItems());
    }
}
