package org.clinlora.trainer.jobs;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.clinlora.model.train.Trainer;
import org.clinlora.platform.api.ApiException;
import org.clinlora.platform.api.RegistryErrors;
import org.clinlora.platform.events.TrainingCompleted;
import org.clinlora.platform.events.TrainingFailed;
import org.clinlora.platform.events.TrainingProgress;
import org.clinlora.platform.jobs.JobLeases;
import org.clinlora.platform.jobs.JobRecords;
import org.clinlora.platform.jobs.JobSpec;
import org.clinlora.platform.jobs.JobWorker;
import org.clinlora.platform.jobs.JobsConfig;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.registry.Lineage;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.trainer.messaging.TrainingEvents;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The job queue. A job record is created (create-only) before the caller hears "accepted", so no accepted job is lost;
 * the same job id with the same spec is the same job. One worker runs one job at a time (one device, and libtorch
 * records one gradient tape per process); the rest wait in a bounded queue. At startup every job the store says is
 * queued or running is queued again; a running one continues from its last checkpoint. Replicas share the jobs through
 * leases in the store ({@link JobLeases}): a job runs only on the replica holding its lease, and a job left by a replica
 * that stopped is taken up by another once the lease has expired (the periodic look-up, every recover-interval).
 */
@ApplicationScoped
public class TrainingJobs {
    private static final Logger LOG = Logger.getLogger(TrainingJobs.class);

    /** Thrown by the test hook to stop a job the way a killed process would: no status change, no event, no clean-up. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash() {
            super("simulated process death after a checkpoint");
        }
    }

    private final BlobStore store;
    private final ModelStore models;
    private final JobRunner runner;
    private final TrainingEvents events;
    private final MetricsHistory history;
    private final TrainerMetrics meters;
    private final int maxQueued;
    private final JobRecords<TrainingJob> records;
    private final JobWorker worker;
    private final java.time.Duration recoverInterval;
    private final Set<String> cancelRequested = ConcurrentHashMap.newKeySet();
    private final Map<String, TrainingJob.Progress> live = new ConcurrentHashMap<>();
    private final Map<String, Integer> haltAfterCheckpoint = new ConcurrentHashMap<>();

    /** Stops a job whose lease this replica lost, the way a killed process stops: its record is left to the new owner. */
    static final class LeaseLost extends RuntimeException {
        LeaseLost() {
            super("the job's lease was lost; another replica resumes it");
        }
    }

    public TrainingJobs(BlobStore store, ModelStore models, JobRunner runner, TrainingEvents events, MetricsHistory history,
                        TrainerMetrics meters, TrainerConfig config, JobsConfig jobs, @ConfigProperty(name = "quarkus.http.port") int httpPort) {
        this.store = store;
        this.models = models;
        this.runner = runner;
        this.events = events;
        this.history = history;
        this.meters = meters;
        this.maxQueued = config.maxQueued();
        if (maxQueued < 1) throw new IllegalArgumentException("clinlora.trainer.max-queued must be at least 1");
        this.records = new JobRecords<>(store, StoreLayout.trainingJobs(), "/job.json", TrainingJob.class, TrainingJob::jobId, TrainingJob::finished);
        JobLeases leases = new JobLeases(store, "training-jobs", jobs.owner().orElse(JobsConfig.defaultOwner(httpPort)), jobs.leaseTtl());
        this.worker = new JobWorker("training-worker", leases, this::runOne);
        this.recoverInterval = jobs.recoverInterval();
        meters.jobs(worker::waiting, live::size);
    }

    /** At start-up and then periodically: jobs queued on another replica, or left by one that stopped, are taken up. */
    void onStart(@Observes StartupEvent e) {
        worker.start();
        worker.recoverEvery(recoverInterval, () -> {
            int n = recover();
            if (n > 0) LOG.infof("taking up %d training job(s) queued or left running without a live owner", n);
        });
    }

    void onStop(@Observes ShutdownEvent e) {
        worker.close();
    }

    public record Submitted(TrainingJob job, boolean created) {}

    public Submitted submit(JobSpec request) {
        JobSpec spec;
        try {
            spec = request.withDefaults();
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(e.getMessage());
        }
        String id = spec.jobId() != null ? spec.jobId() : "job-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        spec = spec.withJobId(id);
        if (models.manifestSha256(spec.baseModel()).isEmpty()) throw ApiException.notFound("unknown base model '" + spec.baseModel() + "'");
        // What the base's architecture trains, and its LoRA targets when none are given, now rather than when the job runs.
        BaseModelConfig base = models.config(spec.baseModel()).orElseThrow(() -> ApiException.notFound("unknown base model '" + request.baseModel() + "'"));
        spec = spec.withDefaultTargets(base.defaultLoraTargets());
        String refused = base.cannotTrain(spec.taskKind(), spec.fullFineTuning(), org.clinlora.model.llama.Compute.Precision.parse(spec.precision()) == org.clinlora.model.llama.Compute.Precision.FP16,
                spec.lora().targetModules());
        if (refused != null) throw ApiException.unprocessable("unsupported_by_base", "base model '" + spec.baseModel() + "': " + refused);
        for (String ds : new String[] {spec.datasets().train(), spec.datasets().validation(), spec.datasets().test()}) {
            if (ds != null && store.getBytes(StoreLayout.dataset(ds) + org.clinlora.model.data.DatasetBuilder.MANIFEST).isEmpty()) {
                throw ApiException.notFound("unknown dataset '" + ds + "' (not built, or not finished)");
            }
        }
        if (spec.parent() != null) {
            try {
                Lineage.requireBase(runner.registry().resolve(AdapterRef.parse(spec.parent())).lineage(), spec.baseModel());
            } catch (Lineage.WrongBaseModelException e) {
                throw ApiException.unprocessable("wrong_base_model", e.getMessage());
            } catch (RegistryClient.RegistryException | IOException e) {
                throw RegistryErrors.toApi(e, "parent adapter", spec.parent());
            }
        }
        try {
            org.clinlora.model.llama.Compute.parse(spec.device(), spec.precision());
        } catch (IllegalArgumentException e) {
            throw ApiException.unprocessable("device_unavailable", e.getMessage());
        }
        Optional<TrainingJob> before = read(id);
        if (before.isEmpty() && worker.waiting() >= maxQueued) throw ApiException.busy(worker.waiting() + " jobs are waiting; retry later");
        TrainingJob job = TrainingJob.queued(spec);
        if (before.isPresent() || !records.create(job)) {
            TrainingJob existing = before.or(() -> read(id)).orElseThrow(() -> ApiException.conflict("job '" + id + "' is being created; retry"));
            if (!existing.spec().equals(spec)) throw ApiException.conflict("job '" + id + "' already exists with another spec");
            return new Submitted(withLive(existing), false);  // the same request again (a retry, a redelivered record)
        }
        worker.offer(id);
        return new Submitted(job, true);
    }

    /** A job's per-step curve after step {@code after}; 404 for an unknown job. */
    public MetricsHistory.Curve metrics(String id, int after) {
        if (read(id).isEmpty()) throw ApiException.notFound("no job '" + id + "'");
        return history.curve(id, after);
    }

    public Optional<TrainingJob> get(String id) {
        StoreLayout.requireName(id);
        return read(id).map(this::withLive);
    }

    /** Recent jobs, newest first. */
    public List<TrainingJob> list(int limit) {
        List<TrainingJob> out = new ArrayList<>();
        for (String id : records.ids()) read(id).ifPresent(j -> out.add(withLive(j)));
        out.sort(Comparator.comparing(TrainingJob::createdAt).reversed());
        return out.size() > limit ? out.subList(0, limit) : out;
    }

    /** Cancels a queued job at once, a running one at its next micro-batch; a finished job is left as it is (409). */
    public TrainingJob cancel(String id) {
        TrainingJob job = get(id).orElseThrow(() -> ApiException.notFound("no job '" + id + "'"));
        if (job.finished()) throw ApiException.conflict("job '" + id + "' has already " + job.status());
        cancelRequested.add(id);
        if (worker.remove(id)) {
            finishCancelled(job);
            return read(id).orElseThrow();
        }
        return job;
    }

    /** Queues every job the store says is queued or was running; returns how many. */
    public int recover() {
        return worker.recover(records);
    }

    /** Test hook: the job stops after writing the checkpoint of this step, as if the process had been killed. */
    public void haltAfterCheckpoint(String id, int step) {
        haltAfterCheckpoint.put(id, step);
    }

    /** Runs one job on the worker thread; a store failure leaves its record as it was, so it resumes at the next start. */
    private void runOne(String id) {
        try {
            runRecorded(id);
        } catch (SimulatedCrash e) {
            LOG.warnf("job %s: %s", id, e.getMessage());
        } finally {
            live.remove(id);
            history.forget(id);
        }
    }

    private void runRecorded(String id) {
        TrainingJob job = read(id).orElse(null);
        if (job == null || job.finished()) return;
        if (cancelRequested.remove(id)) {
            finishCancelled(job);
            return;
        }
        TrainingJob started = job.with(TrainingJob.RUNNING, null);
        save(started);
        LOG.infof("job %s: running (%s, base %s, dataset %s)", id, job.spec().kind(), job.spec().baseModel(), job.spec().datasets().train());
        TrainingJob[] current = {started};
        history.begin(id);
        try {
            JobRunner.Outcome o = runner.run(job.spec(), new JobRunner.Hooks() {
                @Override
                public void progress(Trainer.Progress p) {
                    TrainingJob.Progress tp = new TrainingJob.Progress(p.step(), p.totalSteps(), p.epoch(), p.loss(), p.learningRate(), p.tokensPerSecond(), p.etaSeconds());
                    live.put(id, tp);
                    history.log(id, p);
                    meters.step(p);
                    events.progress(id, TrainingProgress.of(id, p.step(), p.totalSteps(), p.epoch(), p.loss(), p.learningRate(), p.tokensPerSecond(),
                            p.etaSeconds(), p.gradNorm(), p.lossScale()));
                }

                @Override
                public void checkpointed(int step) {
                    if (worker.leaseLost(id)) throw new LeaseLost();
                    history.save(id);  // the curve reaches the checkpoint before the job record says it exists
                    current[0] = current[0].withProgress(live.get(id)).withCheckpoint(step);
                    save(current[0]);
                    if (haltAfterCheckpoint.remove(id, step)) throw new SimulatedCrash();
                }

                @Override
                public boolean cancelled() {
                    if (worker.leaseLost(id)) throw new LeaseLost();
                    return cancelRequested.contains(id);
                }
            });
            history.save(id);
            TrainingJob done = current[0].withProgress(live.get(id)).succeeded(o.adapter(), o.parent(), o.model(), o.metrics());
            save(done);
            runner.cleanUp(id);
            events.emit(id, TrainingCompleted.of(id, o.adapter(), o.parent(), o.metrics(), o.model()));
            meters.finished(TrainingJob.SUCCEEDED);
            LOG.infof("job %s: succeeded, published %s", id, o.adapter() != null ? o.adapter() : "base model " + o.model());
        } catch (LeaseLost e) {
            LOG.warnf("job %s: %s", id, e.getMessage());
        } catch (Trainer.Cancelled e) {
            cancelRequested.remove(id);
            finishCancelled(current[0].withProgress(live.get(id)));
        } catch (ApiException | IllegalArgumentException | IllegalStateException | ArithmeticException | RegistryClient.RegistryException e) {
            fail(current[0], e.getMessage());
        } catch (IOException | UncheckedIOException e) {
            fail(current[0], "I/O failure: " + e.getMessage());
        } catch (ObjectStore.StoreException e) {
            throw e;  // cannot record anything now; the job resumes at the next start
        } catch (RuntimeException e) {
            LOG.errorf(e, "job %s: failed unexpectedly", id);
            fail(current[0], "internal error (" + e.getClass().getSimpleName() + ")");
        }
    }

    private void fail(TrainingJob job, String reason) {
        LOG.warnf("job %s: failed: %s", job.jobId(), reason);
        history.save(job.jobId());
        save(job.withProgress(live.get(job.jobId())).with(TrainingJob.FAILED, reason));
        runner.cleanUp(job.jobId());
        events.emit(job.jobId(), TrainingFailed.of(job.jobId(), reason, false));
        meters.finished(TrainingJob.FAILED);
    }

    private void finishCancelled(TrainingJob job) {
        history.save(job.jobId());
        save(job.with(TrainingJob.CANCELLED, "cancelled by request"));
        runner.cleanUp(job.jobId());
        events.emit(job.jobId(), TrainingFailed.of(job.jobId(), "cancelled by request", true));
        meters.finished(TrainingJob.CANCELLED);
        LOG.infof("job %s: cancelled", job.jobId());
    }

    private TrainingJob withLive(TrainingJob job) {
        TrainingJob.Progress p = live.get(job.jobId());
        return p == null || job.finished() ? job : job.withProgress(p);
    }

    private Optional<TrainingJob> read(String id) {
        return records.read(id);
    }

    private void save(TrainingJob job) {
        records.save(job);
    }
}
