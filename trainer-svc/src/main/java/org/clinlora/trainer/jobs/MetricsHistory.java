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
 * Each job's metrics, the curves behind {@code GET /v1/jobs/{id}/metrics}: one point per optimizer step and, for a job
 * that scores its validation split at every epoch's end (a downstream job selecting its epoch, the default), one point
 * per epoch. Held in memory while the job runs on this replica and written to {@code training-jobs/{id}/metrics.json}
 * at every checkpoint and at the end, so the stored curves reach at least the step a resumed job continues from. Points
 * the job logs again after a resume replace the ones after its checkpoint, so there is exactly one point per optimizer
 * step and one per scored epoch.
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

    /**
     * The validation split scored after {@code epoch} epochs (fractional when the last step ends mid-epoch), at
     * optimizer step {@code step}: its macro AUROC (absent when every label had one class) and mean loss.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Epoch(double epoch, int step, Double validationMacroAuroc, Double validationLoss, String at) {
        static Epoch of(Trainer.EpochScore e) {
            return new Epoch(
                    e.epoch(),
                    e.step(),
                    Double.isFinite(e.validationMacroAuroc()) ? e.validationMacroAuroc() : null,
                    Double.isFinite(e.validationLoss()) ? e.validationLoss() : null,
                    Instant.now().toString());
        }
    }

    /**
     * What the endpoint answers: the job's steps after {@code after}, in order, and every epoch scored so far (few; a
     * poll never misses the one scored just after the step it last saw).
     */
    public record Curve(String jobId, List<Step> steps, List<Epoch> epochs) {
        public Curve {
            steps = steps == null ? List.of() : steps;
            epochs = epochs == null ? List.of() : epochs; // metrics.json written before epochs were kept
        }
    }

    /** A running job's points, guarded by itself. */
    private static final class Live {
        final List<Step> steps;
        final List<Epoch> epochs;

        Live(Curve stored) {
            steps = new ArrayList<>(stored.steps());
            epochs = new ArrayList<>(stored.epochs());
        }

        synchronized Curve copy(String jobId) {
            return new Curve(jobId, List.copyOf(steps), List.copyOf(epochs));
        }
    }

    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final BlobStore store;
    private final Map<String, Live> running = new ConcurrentHashMap<>();

    public MetricsHistory(BlobStore store) {
        this.store = store;
    }

    /**
     * Starts or resumes a job's curves from what was stored (a resumed job re-logs the points after its checkpoint).
     */
    void begin(String jobId) {
        running.put(jobId, new Live(stored(jobId).orElse(new Curve(jobId, List.of(), List.of()))));
    }

    void log(String jobId, Trainer.Progress p) {
        Live live = live(jobId);
        synchronized (live) {
            live.steps.removeIf(s -> s.step() >= p.step());
            live.steps.add(Step.of(p));
        }
    }

    void logEpoch(String jobId, Trainer.EpochScore e) {
        Live live = live(jobId);
        synchronized (live) {
            live.epochs.removeIf(x -> x.step() >= e.step());
            live.epochs.add(Epoch.of(e));
        }
    }

    /** Writes the curves so far (at a checkpoint and when the job ends). */
    void save(String jobId) {
        Live live = running.get(jobId);
        if (live == null) return;
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(live.copy(jobId));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        store.put(StoreLayout.trainingJobMetrics(jobId), json, Map.of());
    }

    /** Forgets a job that stopped running here (what it logged after its last save belongs to whoever resumes it). */
    void forget(String jobId) {
        running.remove(jobId);
    }

    /**
     * The job's steps after {@code after} and its epochs: live while it runs here, stored otherwise; empty for a job
     * that logged none.
     */
    public Curve curve(String jobId, int after) {
        Live live = running.get(jobId);
        Curve all = live != null ? live.copy(jobId) : stored(jobId).orElse(new Curve(jobId, List.of(), List.of()));
        return new Curve(
                jobId, all.steps().stream().filter(s -> s.step() > after).toList(), all.epochs());
    }

    private Live live(String jobId) {
        return running.computeIfAbsent(jobId, k -> new Live(new Curve(k, List.of(), List.of())));
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
