package org.clinlora.trainer.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.clinlora.model.train.Trainer;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;

/**
 * Each job's per-step metrics, the curve behind {@code GET /v1/jobs/{id}/metrics}: held in memory while the job runs on
 * this replica and written to {@code training-jobs/{id}/metrics.json} at every checkpoint and at the end, so the stored
 * curve reaches at least the step a resumed job continues from. Steps the job logs again after a resume replace the
 * ones after its checkpoint, so the curve has exactly one point per optimizer step.
 */
@ApplicationScoped
public class MetricsHistory {
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Step(
            int step,
            double epoch,
            double loss,
            double learningRate,
            double tokensPerSecond,
            Double gradNorm,
            double lossScale,
            String at) {
        static Step of(Trainer.Progress p) {
            return new Step(
                    p.step(),
                    p.epoch(),
                    p.loss(),
                    p.learningRate(),
                    p.tokensPerSecond(),
                    Double.isFinite(p.gradNorm()) ? p.gradNorm() : null,
                    p.lossScale(),
                    Instant.now().toString());
        }
    }

    /** What the endpoint answers: the job's steps after {@code after}, in order. */
    public record Curve(String jobId, List<Step> steps) {}

    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final BlobStore store;
    private final Map<String, List<Step>> running = new ConcurrentHashMap<>();

    public MetricsHistory(BlobStore store) {
        this.store = store;
    }

    /** Starts or resumes a job's curve from what was stored (a resumed job re-logs the steps after its checkpoint). */
    void begin(String jobId) {
        running.put(jobId, new ArrayList<>(stored(jobId).map(Curve::steps).orElse(List.of())));
    }

    void log(String jobId, Trainer.Progress p) {
        List<Step> steps = running.computeIfAbsent(jobId, k -> new ArrayList<>());
        synchronized (steps) {
            steps.removeIf(s -> s.step() >= p.step());
            steps.add(Step.of(p));
        }
    }

    /** Writes the curve so far (at a checkpoint and when the job ends). */
    void save(String jobId) {
        List<Step> steps = running.get(jobId);
        if (steps == null) return;
        byte[] json;
        synchronized (steps) {
            try {
                json = JSON.writeValueAsBytes(new Curve(jobId, List.copyOf(steps)));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        store.put(StoreLayout.trainingJobMetrics(jobId), json, Map.of());
    }

    /** Forgets a job that stopped running here (what it logged after its last save belongs to whoever resumes it). */
    void forget(String jobId) {
        running.remove(jobId);
    }

    /**
     * The job's steps after {@code after}: live while it runs here, stored otherwise; empty for a job that logged none.
     */
    public Curve curve(String jobId, int after) {
        List<Step> live = running.get(jobId);
        List<Step> steps;
        if (live != null) {
            synchronized (live) {
                steps = List.copyOf(live);
            }
        } else {
            steps = stored(jobId).map(Curve::steps).orElse(List.of());
        }
        return new Curve(jobId, steps.stream().filter(s -> s.step() > after).toList());
    }

    private Optional<Curve> stored(String jobId) {
        return store.getBytes(StoreLayout.trainingJobMetrics(jobId)).map(b -> {
            try {
                return JSON.readValue(b, Curve.class);
            } catch (IOException e) {
                throw new IllegalStateException("unreadable metrics of job " + jobId, e);
            }
        });
    }
}
