package org.clinlora.scorer.messaging;

import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.clinlora.platform.events.CloudEvents;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.events.KafkaEvents;
import org.clinlora.platform.events.ScoreRequest;
import org.clinlora.platform.events.ScoreResult;
import org.clinlora.platform.failure.Busy;
import org.clinlora.platform.failure.Failure;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.scorer.scoring.BatchScheduler;
import org.clinlora.scorer.scoring.RequestChecks;
import org.clinlora.scorer.scoring.ScorerMetrics;
import org.clinlora.scorer.scoring.ScoringService;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Batch scoring for pipelines: scores.requests → scores.results (keyed by request id). At-least-once with idempotent
 * ids: a request id already answered (a marker in the bucket, written after the result is acknowledged) is not answered
 * again. A request that cannot be scored (unknown task, empty note) gets a result with {@code error}; a record that is
 * not a ScoreRequest at all goes to scores.requests.dlq. Requests are read as CloudEvents
 * ({@code org.clinlora.score.requested}, or for one release today's envelope without {@code ce_} headers); results go
 * out as CloudEvents ({@code org.clinlora.score.answered}, source {@code /clinlora/scorer-svc}, subject the request
 * id).
 */
@ApplicationScoped
public class ScoreRequestsConsumer {
    private static final String SERVICE = "scorer-svc";
    private final ScoringService engine;
    private final BlobStore store;
    private final Emitter<String> results;
    private final ScoreTracing tracing;
    private final Timer latency;

    public ScoreRequestsConsumer(
            ScoringService engine,
            BlobStore store,
            @Channel("scores-results") Emitter<String> results,
            ScoreTracing tracing,
            ScorerMetrics metrics) {
        this.engine = engine;
        this.store = store;
        this.results = results;
        this.tracing = tracing;
        this.latency = metrics.requestLatency("kafka");
    }

    @Incoming("scores-requests")
    @Blocking
    public void consume(ConsumerRecord<String, String> record) throws Exception {
        if (record.value() == null) throw new IllegalArgumentException("empty record");
        Span span = tracing.consumer(record.headers(), record.key() == null ? "" : record.key());
        try (Scope scope = span.makeCurrent()) {
            consume(record.headers(), record.value());
        } catch (Exception | Error e) {
            span.setStatus(
                    StatusCode.ERROR, e.getClass().getSimpleName()); // the type only: a message may quote the record
            throw e;
        } finally {
            span.end();
        }
    }

    private void consume(Headers headers, String record) throws Exception {
        long t0 = System.nanoTime();
        Event e = CloudEvents.read(headers, record);
        if (!(e instanceof ScoreRequest req))
            throw new IllegalArgumentException("scores.requests carries ScoreRequest records, got " + e.type());
        if (req.requestId() == null
                || req.requestId().isBlank()
                || req.requestId().length() > 256) {
            throw new IllegalArgumentException("requestId is required (at most 256 characters)");
        }
        if (store.size(StoreLayout.scoreRequestAnswered(req.requestId())).isPresent())
            return; // answered before: a redelivery or a duplicate
        ScoreResult result;
        try {
            RequestChecks.note("note", req.note());
            ScoringService.Scored s =
                    engine.scoreNotes(req.task(), List.of(req.note())).get(5, TimeUnit.MINUTES);
            BatchScheduler.Row row = s.rows().get(0);
            result = ScoreResult.of(
                    req.requestId(), req.task(), s.task().ref(), row.probabilities(), row.tokens(), row.truncated());
        } catch (Failure ex) {
            if (ex instanceof Unavailable || ex instanceof Busy)
                throw new IllegalStateException(
                        "scorer busy: " + ex.getMessage()); // retried by redelivery/DLQ, not answered
            result = ScoreResult.failed(req.requestId(), req.task(), ex.getMessage());
        } catch (ExecutionException ex) {
            Throwable c = ex.getCause();
            result = ScoreResult.failed(
                    req.requestId(),
                    req.task(),
                    c instanceof Failure f
                            ? f.getMessage()
                            : "scoring failed (" + c.getClass().getSimpleName() + ")");
        }
        Span publish = tracing.producer(req.requestId());
        Throwable failed;
        try (Scope scope = publish.makeCurrent()) {
            failed = KafkaEvents.sendAndAwait(results, SERVICE, req.requestId(), result, tracing.headers(), 30);
        } finally {
            publish.end();
        }
        if (failed != null) throw new IllegalStateException("scores.results did not acknowledge the result");
        latency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        store.putIfAbsent(StoreLayout.scoreRequestAnswered(req.requestId()), new byte[0]);
    }
}
