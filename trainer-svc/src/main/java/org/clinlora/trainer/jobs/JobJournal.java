package org.clinlora.trainer.jobs;

import ai.djl.ndarray.NDArray;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.clinlora.model.train.Trainer;
import org.clinlora.platform.events.TrainingCompleted;
import org.clinlora.platform.events.TrainingFailed;
import org.clinlora.platform.events.TrainingProgress;
import org.clinlora.platform.jobs.JobRecords;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;
import org.jboss.logging.Logger;

/**
 * Where every change of a job is written: its record in the store (created once, before the caller hears "accepted"),
 * its per-step curve ({@link MetricsHistory}), its checkpoints, Prometheus ({@link TrainerMetrics}) and training.events
 * ({@link TrainingEvents}). A job that has ended has its checkpoints and staged files removed.
 */
@Singleton
final class JobJournal {
    private static final Logger LOG = Logger.getLogger(JobJournal.class);
    static final String CANCELLED_BY_REQUEST = "cancelled by request";
    /** Beside the record: a cancel asked on another replica than the one running the job (removed at its end). */
    static final String CANCEL_MARKER = "cancel-requested";

    private final BlobStore store;
    private final JobRecords<TrainingJob> records;
    private final MetricsHistory history;
    private final TrainerMetrics meters;
    private final TrainingEvents events;
    private final Checkpoints checkpoints;
    /** Finished records as read: they never change again (see {@link #all}). */
    private final Map<String, TrainingJob> finished = new ConcurrentHashMap<>();

    JobJournal(
            BlobStore store,
            MetricsHistory history,
            TrainerMetrics meters,
            TrainingEvents events,
            Checkpoints checkpoints) {
        this.store = store;
        this.records = new JobRecords<>(
                store,
                StoreLayout.trainingJobs(),
                "/job.json",
                TrainingJob.class,
                TrainingJob::jobId,
                TrainingJob::finished);
        this.history = history;
        this.meters = meters;
        this.events = events;
        this.checkpoints = checkpoints;
    }

    JobRecords<TrainingJob> records() {
        return records;
    }

    Optional<TrainingJob> read(String id) {
        return records.read(id);
    }

    List<String> ids() {
        return records.ids();
    }

    /**
     * Every job record in the store. A finished record never changes again, so it is read once and kept: a search over
     * a long history reads only the records of jobs still queued or running.
     */
    List<TrainingJob> all() {
        List<TrainingJob> out = new ArrayList<>();
        for (String id : ids()) {
            TrainingJob done = finished.get(id);
            if (done != null) {
                out.add(done);
                continue;
            }
            read(id).ifPresent(j -> {
                if (j.finished()) finished.put(id, j);
                out.add(j);
            });
        }
        return out;
    }

    /** Create-only: false when a record with that id exists already. */
    boolean create(TrainingJob job) {
        return records.create(job);
    }

    void save(TrainingJob job) {
        records.save(job);
    }

    /** Asks the replica that runs the job to cancel it (it looks for the marker while it runs). */
    void requestCancel(String id) {
        store.put(StoreLayout.trainingJob(id) + CANCEL_MARKER, new byte[0], Map.of());
    }

    boolean cancelMarked(String id) {
        return store.size(StoreLayout.trainingJob(id) + CANCEL_MARKER).isPresent();
    }

    MetricsHistory.Curve curve(String id, int after) {
        return history.curve(id, after);
    }

    /** A run starts on this replica: its curve continues from what was stored. */
    void begin(String id) {
        history.begin(id);
    }

    /** The run stopped on this replica, however it ended. */
    void forget(String id) {
        history.forget(id);
    }

    /** One optimizer step: the curve, the meters and a progress event. */
    void stepped(String id, Trainer.Progress p) {
        history.log(id, p);
        meters.step(p);
        events.progress(
                id,
                TrainingProgress.of(
                        id,
                        p.step(),
                        p.totalSteps(),
                        p.epoch(),
                        p.loss(),
                        p.learningRate(),
                        p.tokensPerSecond(),
                        p.etaSeconds(),
                        p.gradNorm(),
                        p.lossScale()));
    }

    /** An epoch's validation scores: the per-epoch curve. */
    void epochScored(String id, Trainer.EpochScore e) {
        history.logEpoch(id, e);
    }

    /**
     * A checkpoint: the tensors, then the curve (so it reaches the checkpoint before the record says the checkpoint
     * exists), then the record; returns the record as saved.
     */
    TrainingJob checkpointed(TrainingJob job, int step, Map<String, NDArray> tensors) throws IOException {
        checkpoints.save(job.jobId(), step, tensors);
        history.save(job.jobId());
        TrainingJob saved = job.withCheckpoint(step);
        save(saved);
        return saved;
    }

    void succeeded(TrainingJob job, JobRunner.Outcome o) {
        String id = job.jobId();
        history.save(id);
        save(job.succeeded(o.adapter(), o.parent(), o.model(), o.metrics()));
        checkpoints.cleanUp(id);
        events.announce(id, TrainingCompleted.of(id, o.adapter(), o.parent(), o.metrics(), o.model()));
        meters.finished(TrainingJob.SUCCEEDED);
        LOG.infof("job %s: succeeded, published %s", id, o.adapter() != null ? o.adapter() : "base model " + o.model());
    }

    void failed(TrainingJob job, String reason) {
        String id = job.jobId();
        LOG.warnf("job %s: failed: %s", id, reason);
        history.save(id);
        save(job.with(TrainingJob.FAILED, reason));
        checkpoints.cleanUp(id);
        events.announce(id, TrainingFailed.of(id, reason, false));
        meters.finished(TrainingJob.FAILED);
    }

    void cancelled(TrainingJob job) {
        String id = job.jobId();
        history.save(id);
        save(job.with(TrainingJob.CANCELLED, CANCELLED_BY_REQUEST));
        checkpoints.cleanUp(id);
        events.announce(id, TrainingFailed.of(id, CANCELLED_BY_REQUEST, true));
        meters.finished(TrainingJob.CANCELLED);
        LOG.infof("job %s: cancelled", id);
    }
}
