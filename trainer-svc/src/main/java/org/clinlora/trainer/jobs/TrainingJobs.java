package org.clinlora.trainer.jobs;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.clinlora.model.train.Trainer;
import org.clinlora.platform.failure.Busy;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.failure.Failure;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.jobs.JobLeases;
import org.clinlora.platform.jobs.JobSpec;
import org.clinlora.platform.jobs.JobWorker;
import org.clinlora.platform.jobs.JobsConfig;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The job queue. A job record is created (create-only) before the caller hears "accepted", so no accepted job is lost;
 * the same job id with the same spec is the same job. One worker runs one job at a time (one device, and libtorch
 * records one gradient tape per process); the rest wait in a bounded queue. At startup every job the store says is
 * queued or running is queued again; a running one continues from its last checkpoint. Replicas share the jobs through
 * leases in the store ({@link JobLeases}): a job runs only on the replica holding its lease, and a job left by a
 * replica that stopped is taken up by another once the lease has expired (the periodic look-up, every
 * recover-interval).
 */
@ApplicationScoped
public class TrainingJobs {
    private static final Logger LOG = Logger.getLogger(TrainingJobs.class);

    private final JobAdmission admission;
    private final JobRunner runner;
    private final JobJournal journal;
    private final CheckpointHook hook;
    private final int maxQueued;
    private final JobWorker worker;
    private final Duration recoverInterval;
    private final Set<String> cancelRequested = ConcurrentHashMap.newKeySet();
    /** Jobs this process admitted and has not run yet: the run uses what the submission resolved. */
    private final Map<String, ResolvedJob> admitted = new ConcurrentHashMap<>();

    private final Map<String, RunningJob> running = new ConcurrentHashMap<>();

    public TrainingJobs(
            BlobStore store,
            JobAdmission admission,
            JobRunner runner,
            JobJournal journal,
            CheckpointHook hook,
            TrainerMetrics meters,
            TrainerConfig config,
            JobsConfig jobs,
            @ConfigProperty(name = "quarkus.http.port") int httpPort) {
        this.admission = admission;
        this.runner = runner;
        this.journal = journal;
        this.hook = hook;
        this.maxQueued = config.maxQueued();
        if (maxQueued < 1) throw new IllegalArgumentException("clinlora.trainer.max-queued must be at least 1");
        JobLeases leases = new JobLeases(
                store, "training-jobs", jobs.owner().orElse(JobsConfig.defaultOwner(httpPort)), jobs.leaseTtl());
        this.worker = new JobWorker("training-worker", leases, this::runOne, admitted::remove);
        this.recoverInterval = jobs.recoverInterval();
        meters.jobs(worker::waiting, running::size);
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
        ResolvedJob resolved = admission.admit(request);
        String id = resolved.id();
        Optional<TrainingJob> before = journal.read(id);
        if (before.isEmpty() && worker.waiting() >= maxQueued)
            throw new Busy(worker.waiting() + " jobs are waiting; retry later");
        TrainingJob job = TrainingJob.queued(resolved.spec());
        if (before.isPresent()) return known(id, before, resolved.spec());
        // Known before the record is visible: the periodic recovery may queue and run the job at once.
        admitted.put(id, resolved);
        if (!journal.create(job)) {
            admitted.remove(id);
            return known(id, before, resolved.spec());
        }
        worker.offer(id);
        return new Submitted(job, true);
    }

    /** The same request again (a retry, a redelivered record) is the same job; another spec under its id is 409. */
    private Submitted known(String id, Optional<TrainingJob> before, JobSpec spec) {
        TrainingJob existing = before.or(() -> journal.read(id))
                .orElseThrow(() -> new Conflict("job '" + id + "' is being created; retry"));
        if (!existing.spec().equals(spec)) throw new Conflict("job '" + id + "' already exists with another spec");
        return new Submitted(withLive(existing), false);
    }

    /** A job's per-step curve after step {@code after}; 404 for an unknown job. */
    public MetricsHistory.Curve metrics(String id, int after) {
        if (journal.read(id).isEmpty()) throw new NotFound("no job '" + id + "'");
        return journal.curve(id, after);
    }

    public Optional<TrainingJob> get(String id) {
        StoreLayout.requireName(id);
        return journal.read(id).map(this::withLive);
    }

    /** Recent jobs, newest first. */
    public List<TrainingJob> list(int limit) {
        List<TrainingJob> out = new ArrayList<>();
        for (String id : journal.ids()) journal.read(id).ifPresent(j -> out.add(withLive(j)));
        out.sort(Comparator.comparing(TrainingJob::createdAt).reversed());
        return out.size() > limit ? out.subList(0, limit) : out;
    }

    /** Cancels a queued job at once, a running one at its next micro-batch; a finished job is left as it is (409). */
    public TrainingJob cancel(String id) {
        TrainingJob job = get(id).orElseThrow(() -> new NotFound("no job '" + id + "'"));
        if (job.finished()) throw new Conflict("job '" + id + "' has already " + job.status());
        cancelRequested.add(id);
        if (worker.remove(id)) {
            cancelRequested.remove(id);
            admitted.remove(id);
            journal.cancelled(job);
            return journal.read(id).orElseThrow();
        }
        return job;
    }

    /** Queues every job the store says is queued or was running; returns how many. */
    public int recover() {
        return worker.recover(journal.records());
    }

    /**
     * Runs one job on the worker thread; a store failure leaves its record as it was, so it resumes at the next start.
     */
    private void runOne(String id) {
        ResolvedJob resolved = admitted.remove(id);
        try {
            TrainingJob job = journal.read(id).orElse(null);
            if (job == null || job.finished()) return;
            if (cancelRequested.remove(id)) {
                journal.cancelled(job);
                return;
            }
            runRecorded(job.with(TrainingJob.RUNNING, null), resolved);
        } finally {
            running.remove(id);
            journal.forget(id);
        }
    }

    /** {@code resolved}: what this process admitted, or null for a job recovered from the store. */
    private void runRecorded(TrainingJob started, ResolvedJob resolved) {
        String id = started.jobId();
        journal.save(started);
        JobSpec spec = started.spec();
        LOG.infof(
                "job %s: running (%s, base %s, dataset %s)",
                id, spec.kind(), spec.baseModel(), spec.datasets().train());
        RunningJob run =
                new RunningJob(started, journal, hook, () -> worker.leaseLost(id), () -> cancelRequested.contains(id));
        running.put(id, run);
        journal.begin(id);
        try {
            ResolvedJob job = resolved != null && resolved.spec().equals(spec) ? resolved : admission.resolve(spec);
            JobRunner.Outcome outcome = runner.run(job, run);
            journal.succeeded(run.latest(), outcome);
        } catch (RunningJob.LeaseLost e) {
            LOG.warnf("job %s: %s", id, e.getMessage());
        } catch (Trainer.Cancelled e) {
            cancelRequested.remove(id);
            journal.cancelled(run.latest());
        } catch (Failure
                | IllegalArgumentException
                | IllegalStateException
                | ArithmeticException
                | RegistryClient.RegistryException e) {
            journal.failed(run.latest(), e.getMessage());
        } catch (IOException | UncheckedIOException e) {
            journal.failed(run.latest(), "I/O failure: " + e.getMessage());
        } catch (ObjectStore.StoreException e) {
            throw e; // cannot record anything now; the job resumes at the next start
        } catch (RuntimeException e) {
            LOG.errorf(e, "job %s: failed unexpectedly", id);
            journal.failed(run.latest(), "internal error (" + e.getClass().getSimpleName() + ")");
        }
    }

    private TrainingJob withLive(TrainingJob job) {
        RunningJob run = running.get(job.jobId());
        TrainingJob.Progress p = run == null ? null : run.progress();
        return p == null || job.finished() ? job : job.withProgress(p);
    }
}
