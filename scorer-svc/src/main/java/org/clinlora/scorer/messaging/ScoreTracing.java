package org.clinlora.scorer.messaging;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.clinlora.scorer.scoring.BatchScheduler;

/**
 * The spans of one Kafka-scored note, in one trace: {@code scores.requests process} (consumer; its parent is the
 * producer's context from the record's W3C {@code traceparent} header, when there is one), the batch it was scored in
 * ({@link BatchScheduler} carries the context to the model thread), and {@code scores.results publish} (producer; its
 * context goes out in the result record's headers). These are made here rather than by the connector because the batch
 * runs on another thread than the consumer. With tracing off (the default) the OpenTelemetry API is a no-op.
 */
@ApplicationScoped
public class ScoreTracing {
    private static final TextMapGetter<Headers> FROM_HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers headers) {
            List<String> keys = new ArrayList<>();
            for (Header h : headers) keys.add(h.key());
            return keys;
        }

        @Override
        public String get(Headers headers, String key) {
            Header h = headers == null ? null : headers.lastHeader(key);
            return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
        }
    };
    private static final TextMapSetter<Map<String, String>> TO_MAP = (carrier, key, value) -> carrier.put(key, value);

    private final OpenTelemetry otel;
    private final Tracer tracer;

    public ScoreTracing(OpenTelemetry otel, BatchScheduler scheduler) {
        this.otel = otel;
        this.tracer = otel.getTracer("org.clinlora.scorer");
        scheduler.traceWith(tracer);
    }

    /** Created at start-up, so REST requests get batch spans before the first Kafka record arrives. */
    void onStart(@Observes StartupEvent e) {
        // constructing the bean is the work
    }

    /** The consumer span of one scores.requests record, child of the context its producer sent along. */
    Span consumer(Headers headers, String requestId) {
        Context parent = otel.getPropagators().getTextMapPropagator().extract(Context.root(), headers, FROM_HEADERS);
        return tracer.spanBuilder("scores.requests process")
                .setParent(parent)
                .setSpanKind(SpanKind.CONSUMER)
                .setAttribute("messaging.system", "kafka")
                .setAttribute("messaging.destination.name", "scores.requests")
                .setAttribute("messaging.operation", "process")
                .setAttribute("clinlora.request_id", requestId)
                .startSpan();
    }

    /** The producer span of a result, child of the current span. */
    Span producer(String requestId) {
        return tracer.spanBuilder("scores.results publish")
                .setSpanKind(SpanKind.PRODUCER)
                .setAttribute("messaging.system", "kafka")
                .setAttribute("messaging.destination.name", "scores.results")
                .setAttribute("messaging.operation", "publish")
                .setAttribute("clinlora.request_id", requestId)
                .startSpan();
    }

    /** The headers that carry the current context to the next hop (empty when tracing is off). */
    Map<String, String> headers() {
        Map<String, String> out = new HashMap<>();
        otel.getPropagators().getTextMapPropagator().inject(Context.current(), out, TO_MAP);
        return out;
    }
}
