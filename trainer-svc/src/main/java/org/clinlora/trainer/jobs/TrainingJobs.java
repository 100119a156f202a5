package org.clinlora.trainer.jobs;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.clinlora.platform.search.PageWindow;
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
 *
 * <p>{@code clinlora.trainer.run-jobs=false} is the API role: it admits jobs (the device is the worker's to check) and
 * records them, answers REST and Kafka, and runs none — no worker thread, no claims; workers ({@code run-jobs=true},
 * GPU nodes, scaled from zero on {@code clinlora_trainer_jobs_pending}) take the jobs from the store at their recovery
 * round. Each round also counts the unfinished records for that gauge. A cancel reaches the replica that runs the job
 * through a marker in the store; a job no replica holds is cancelled at once, under its lease.
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
    private final boolean runJobs;
    private final JobLeases leases;
    /** Unfinished records in the store, counted at each recovery round (clinlora_trainer_jobs_pending). */
    private final AtomicLong pending = new AtomicLong();
    /** When the running job's cancel marker was last looked for (a store read, not one per micro-batch). */
    private volatile long markerCheckedAt;

    private static final long MARKER_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

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
        this.runJobs = config.runJobs();
        this.leases = new JobLeases(
                store, "training-jobs", jobs.owner().orElse(JobsConfig.defaultOwner(httpPort)), jobs.leaseTtl());
        this.worker = new JobWorker("training-worker", leases, this::runOne, admitted::remove);
        this.recoverInterval = jobs.recoverInterval();
        meters.jobs(worker::waiting, running::size);
        meters.pending(pending::get);
    }

    /**
     * At start-up and then periodically: the unfinished jobs are counted, and a worker takes up those queued on another
     * replica or left by one that stopped.
     */
    void onStart(@Observes StartupEvent e) {
        if (runJobs) worker.start();
        else LOG.info("run-jobs=false: this replica admits and records training jobs; workers run them");
        worker.recoverEvery(recoverInterval, () -> {
            int n = recover();
            if (n > 0) LOG.infof("taking up %d training job(s) queued or left running without a live owner", n);
        });
    }

    void onStop(@Observes ShutdownEvent e) {
        worker.close();
    }

    public record Submitted(TrainingJob job, boolean created) {}

    /** A job that came without a token (over Kafka): no submitter to record. */
    public Submitted submit(JobSpec request) {
        return submit(request, null);
    }

    /**
     * Admits and records a job; {@code requestedBy} is the submitter's authenticated subject, kept on the job record
     * and on the cards it publishes. A known job keeps the submitter it was first recorded with.
     */
    public Submitted submit(JobSpec request, String requestedBy) {
        ResolvedJob resolved = admission.admit(request, runJobs);
        String id = resolved.id();
        Optional<TrainingJob> before = journal.read(id);
        long waiting = runJobs ? worker.waiting() : pending.get();
        if (before.isEmpty() && waiting >= maxQueued) throw new Busy(waiting + " jobs are waiting; retry later");
        TrainingJob job = TrainingJob.queued(resolved.spec(), requestedBy);
        if (before.isPresent()) return known(id, before, resolved.spec());
        // Known before the record is visible: the periodic recovery may queue and run the job at once.
        if (runJobs) admitted.put(id, resolved);
        if (!journal.create(job)) {
            admitted.remove(id);
            return known(id, before, resolved.spec());
        }
        pending.incrementAndGet();
        if (runJobs) worker.offer(id);
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

    /** The jobs a search matches, in its order, the page {@code window} asks for (with the live progress of a run). */
    public JobPage search(JobQuery query, PageWindow window) {
        List<TrainingJob> matched = journal.all().stream()
                .map(this::withLive)
                .filter(query::matches)
                .sorted(query.order())
                .toList();
        return new JobPage(window.slice(matched), matched.size(), window.next(matched.size()));
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
        if (worker.holds(id)) return job; // running here: it stops at its next micro-batch
        return cancelElsewhere(job);
    }

    /**
     * A job this replica neither queues nor runs: a marker in the store tells the replica that runs it (it looks every
     * few seconds); a job no replica holds is cancelled here, under its lease, so no worker starts it meanwhile.
     */
    private TrainingJob cancelElsewhere(TrainingJob job) {
        String id = job.jobId();
        journal.requestCancel(id);
        // The store's marker carries the request from here on: the in-memory entry would stay for good when another
        // replica runs the job (nothing here ever finishes it).
        cancelRequested.remove(id);
        Optional<JobLeases.Held> held = leases.claim(id);
        if (held.isEmpty()) return job;
        try {
            TrainingJob now = journal.read(id).orElse(job);
            if (!now.finished()) journal.cancelled(now);
            return journal.read(id).orElse(now);
        } finally {
            held.get().release();
        }
    }

    /**
     * One recovery round: counts the unfinished jobs in the store (the pending gauge) and, on a worker, queues every
     * one that no live replica holds; returns how many it queued.
     */
    public int recover() {
        List<String> unfinished = journal.records().unfinished();
        pending.set(unfinished.size());
        if (!runJobs) return 0;
        int n = 0;
        for (String id : unfinished) if (worker.claimable(id) && worker.offer(id)) n++;
        return n;
    }

    /** Unfinished jobs in the store as last counted (the gauge clinlora_trainer_jobs_pending). */
    public long pending() {
        return pending.get();
    }

    /** A cancel asked here, or through the store by another replica (looked for every few seconds). */
    private boolean cancelAsked(String id) {
        if (cancelRequested.contains(id)) return true;
        long now = System.nanoTime();
        if (now - markerCheckedAt < MARKER_EVERY_NANOS) return false;
        markerCheckedAt = now;
        try {
            return journal.cancelMarked(id);
        } catch (RuntimeException e) {
            return false; // the store is failing: looked for again later
        }
    }

    /**
     * Runs one job on the worker thread; a store failure leaves its record as it was, so it resumes at the next start.
     */
    private void runOne(String id) {
        ResolvedJob resolved = admitted.remove(id);
        try {
            TrainingJob job = journal.read(id).orElse(null);
            if (job == null || job.finished()) return;
            if (cancelRequested.remove(id) || journal.cancelMarked(id)) {
                journal.cancelled(job);
                return;
            }
            runRecorded(job.with(TrainingJob.RUNNING, null), resolved);
        } finally {
            running.remove(id);
            cancelRequested.remove(id); // a cancel that came too late to stop the job
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
        markerCheckedAt = System.nanoTime();
        RunningJob run = new RunningJob(started, journal, hook, () -> worker.leaseLost(id), () -> cancelAsked(id));
        running.put(id, run);
        journal.begin(id);
        try {
            ResolvedJob job = resolved != null && resolved.spec().equals(spec) ? resolved : admission.resolve(spec);
            JobRunner.Outcome outcome = runner.run(job, started.requestedBy(), run);
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
