package org.clinlora.scorer.scoring;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.platform.failure.Busy;
import org.jboss.logging.Logger;

/**
 * The batching policy and the one thread that runs the model. Requests wait in one bounded queue (a full queue answers
 * 429 with Retry-After). The model thread takes the oldest request, then keeps taking requests — for any task — until
 * {@code max-batch-rows} rows are gathered or {@code max-wait} has passed since it took the first ({@link GatherWait}:
 * only while requests arrive together); a request is never split. Between batches it installs and removes adapters
 * ({@link AdapterCache#applyPending}).
 */
@ApplicationScoped
public class BatchScheduler {
    private static final Logger LOG = Logger.getLogger(BatchScheduler.class);

    /** One scored row: probability per label, the tokens the model saw, whether the note was cut. */
    public record Row(Map<String, Double> probabilities, int tokens, boolean truncated) {}

    /** A request's rows, and the trace context it came with (its batch span is a child of it). */
    private record Pending(
            ScoringTask task,
            List<long[]> ids,
            List<Boolean> truncated,
            CompletableFuture<List<Row>> result,
            Context trace) {}

    private final ScoringModel model;
    private final AdapterCache adapters;
    private final int maxBatchRows, queueRows;
    private final long maxWaitNanos;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger queuedRows = new AtomicInteger();
    private volatile Thread modelThread;
    private volatile BatchListener listener = (rows, seconds) -> {};
    private volatile Tracer tracer = OpenTelemetry.noop().getTracer("org.clinlora.scorer");

    /** Told of every batch the model ran: its rows and its forward time (the metrics). */
    public interface BatchListener {
        void batch(int rows, double seconds);
    }

    @Inject
    public BatchScheduler(ScoringModel model, AdapterCache adapters, ScorerConfig config) {
        this(model, adapters, config.maxBatchRows(), config.maxWait(), config.queueRows());
    }

    public BatchScheduler(
            ScoringModel model, AdapterCache adapters, int maxBatchRows, Duration maxWait, int queueRows) {
        this.model = model;
        this.adapters = adapters;
        this.maxBatchRows = maxBatchRows;
        this.maxWaitNanos = maxWait.toNanos();
        this.queueRows = queueRows;
    }

    void onStop(@Observes ShutdownEvent e) {
        Thread t = modelThread;
        if (t != null) t.interrupt();
    }

    public void onBatch(BatchListener l) {
        listener = l;
    }

    /** Batch spans go to this tracer (a no-op one until set). */
    public void traceWith(Tracer t) {
        tracer = t;
    }

    /** Rows waiting or being scored now. */
    public int queuedRows() {
        return queuedRows.get();
    }

    /** Queues the rows of one request (their adapters already held); completes on the model thread. */
    public CompletableFuture<List<Row>> submit(ScoringTask task, List<long[]> ids, List<Boolean> truncated) {
        if (queuedRows.addAndGet(ids.size()) > queueRows) {
            queuedRows.addAndGet(-ids.size());
            // 429 + Retry-After like every service's full queue: this client should slow down, not the pod be ejected.
            throw new Busy("the scoring queue is full; retry later");
        }
        CompletableFuture<List<Row>> rows = new CompletableFuture<>();
        queue.add(new Pending(task, ids, truncated, rows, Context.current()));
        ensureModelThread();
        return rows;
    }

    private synchronized void ensureModelThread() {
        if (modelThread != null && modelThread.isAlive()) return;
        modelThread = new Thread(this::runModel, "scoring-model");
        modelThread.setDaemon(true);
        modelThread.start();
    }

    private void runModel() {
        AdapterCache.Host host = new AdapterCache.Host() {
            @Override
            public void add(LoraAdapter adapter) {
                model.model().addAdapter(adapter);
            }

            @Override
            public void remove(String name) {
                model.model().removeAdapter(name);
            }
        };
        GatherWait wait = new GatherWait(maxWaitNanos);
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                adapters.applyPending(host);
                if (first == null) {
                    adapters.evict();
                    continue;
                }
                List<Pending> batch = new ArrayList<>(List.of(first));
                int rows = first.ids().size();
                long deadline = System.nanoTime() + wait.nanos();
                while (rows < maxBatchRows) {
                    long left = deadline - System.nanoTime();
                    Pending next = left <= 0 ? queue.poll() : queue.poll(left, TimeUnit.NANOSECONDS);
                    if (next == null) break;
                    batch.add(next);
                    rows += next.ids().size();
                }
                adapters.applyPending(host);
                run(model.model(), batch);
                wait.ran(batch.size(), !queue.isEmpty());
                adapters.evict();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.errorf("scoring loop: %s", e.getClass().getName());
            }
        }
    }

    /**
     * One span per request of the batch, each in its request's trace: a batch serves several requests, and each trace
     * shows the forward pass its note waited for (with the batch's rows and requests as attributes).
     */
    private void traceBatch(List<Pending> batch, int rows, Instant started) {
        Instant ended = Instant.now();
        for (Pending p : batch) {
            if (!Span.fromContext(p.trace()).getSpanContext().isValid()) continue;
            tracer.spanBuilder("scorer.batch")
                    .setParent(p.trace())
                    .setStartTimestamp(started)
                    .setAttribute("clinlora.batch.rows", rows)
                    .setAttribute("clinlora.batch.requests", batch.size())
                    .setAttribute("clinlora.adapter", p.task().ref())
                    .startSpan()
                    .end(ended);
        }
    }

    private void run(BaseModel m, List<Pending> batch) {
        try {
            List<BatchForward.Input> inputs = new ArrayList<>();
            for (Pending p : batch) {
                for (long[] ids : p.ids())
                    inputs.add(new BatchForward.Input(
                            p.task().stack(), p.task().ref(), p.task().problemType(), ids));
            }
            long t0 = System.nanoTime();
            Instant started = Instant.now();
            List<float[]> probs = BatchForward.probabilities(m, inputs);
            listener.batch(inputs.size(), (System.nanoTime() - t0) / 1e9);
            traceBatch(batch, inputs.size(), started);
            int k = 0;
            for (Pending p : batch) {
                List<String> labels = p.task().labelNames();
                List<Row> out = new ArrayList<>();
                for (int i = 0; i < p.ids().size(); i++, k++) {
                    Map<String, Double> byLabel = new LinkedHashMap<>();
                    for (int j = 0; j < labels.size(); j++) byLabel.put(labels.get(j), (double) probs.get(k)[j]);
                    out.add(new Row(
                            byLabel, p.ids().get(i).length, p.truncated().get(i)));
                }
                p.result().complete(List.copyOf(out));
            }
        } catch (RuntimeException e) {
            LOG.errorf(
                    "scoring a batch of %d requests failed: %s",
                    batch.size(), e.getClass().getName());
            for (Pending p : batch) p.result().completeExceptionally(e);
        } finally {
            for (Pending p : batch) queuedRows.addAndGet(-p.ids().size());
        }
    }
}
