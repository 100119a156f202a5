package org.clinlora.trainer.jobs;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.clinlora.core.api.ApiException;
import org.clinlora.core.events.TrainingCompleted;
import org.clinlora.core.events.TrainingFailed;
import org.clinlora.core.events.TrainingProgress;
import org.clinlora.core.registry.RegistryClient;
import org.clinlora.core.store.ModelStore;
import org.clinlora.core.store.ObjectStore;
import org.clinlora.core.store.StoreLayout;
import org.clinlora.core.train.JobSpec;
import org.clinlora.core.train.Trainer;
import org.clinlora.trainer.messaging.TrainingEvents;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The job queue. A job record is created (create-only) before the caller hears "accepted", so no accepted job is lost;
 * the same job id with the same spec is the same job. One worker runs one job at a time (one device, and libtorch
 * records one gradient tape per process); the rest wait in a bounded queue. At startup every job the store says is
 * queued or running is queued again; a running one continues from its last checkpoint.
 */
@ApplicationScoped
public class TrainingJobs {
    private static final Logger LOG = Logger.getLogger(TrainingJobs.class);
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Thrown by the test hook to stop a job the way a killed process would: no status change, no event, no clean-up. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash() {
            super("simulated process death after a checkpoint");
        }
    }

    private final ObjectStore store;
    private final ModelStore models;
    private final JobRunner runner;
    private final TrainingEvents events;
    private final int maxQueued;
    private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final Set<String> cancelRequested = ConcurrentHashMap.newKeySet();
    private final Map<String, TrainingJob.Progress> live = new ConcurrentHashMap<>();
    private final Map<String, Integer> haltAfterCheckpoint = new ConcurrentHashMap<>();
    private volatile String running;
    private volatile Thread worker;

    public TrainingJobs(ObjectStore store, ModelStore models, JobRunner runner, TrainingEvents events,
                        @ConfigProperty(name = "clinlora.trainer.max-queued") int maxQueued) {
        this.store = store;
        this.models = models;
        this.runner = runner;
        this.events = events;
        this.maxQueued = maxQueued;
    }

    void onStart(@Observes StartupEvent e) {
        startWorker();
        try {
            int n = recover();
            if (n > 0) LOG.infof("resuming %d training job(s) left queued or running", n);
        } catch (RuntimeException ex) {
            LOG.errorf("could not look for interrupted training jobs: %s", ex.getClass().getSimpleName());
        }
    }

    void onStop(@Observes ShutdownEvent e) {
        Thread w = worker;
        if (w != null) w.interrupt();
    }

    private synchronized void startWorker() {
        if (worker != null && worker.isAlive()) return;
        worker = new Thread(this::work, "training-worker");
        worker.setDaemon(true);
        worker.start();
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
        for (String ds : new String[] {spec.datasets().train(), spec.datasets().validation(), spec.datasets().test()}) {
            if (ds != null && store.getBytes(StoreLayout.dataset(ds) + org.clinlora.core.data.DatasetBuilder.MANIFEST).isEmpty()) {
                throw ApiException.notFound("unknown dataset '" + ds + "' (not built, or not finished)");
            }
        }
        if (spec.parent() != null) {
            String[] ref = RegistryClient.parseRef(spec.parent(), "production");
            try {
                runner.registry().resolve(ref[0], ref[1]);
            } catch (RegistryClient.RegistryException e) {
                if (e.status() == 404) throw ApiException.notFound("unknown parent adapter '" + spec.parent() + "'");
                throw new ApiException(502, "registry_error", "registry-svc could not resolve the parent: " + e.getMessage());
            } catch (IOException e) {
                throw new ApiException(503, "registry_unavailable", "registry-svc is unreachable; retry later");
            }
        }
        try {
            org.clinlora.core.model.Compute.parse(spec.device(), spec.precision());
        } catch (IllegalArgumentException e) {
            throw ApiException.unprocessable("device_unavailable", e.getMessage());
        }
        Optional<TrainingJob> before = read(id);
        if (before.isEmpty() && queue.size() >= maxQueued) throw ApiException.busy(queue.size() + " jobs are waiting; retry later");
        TrainingJob job = TrainingJob.queued(spec);
        if (before.isPresent() || !store.putIfAbsent(key(id), json(job))) {
            TrainingJob existing = before.or(() -> read(id)).orElseThrow(() -> ApiException.conflict("job '" + id + "' is being created; retry"));
            if (!existing.spec().equals(spec)) throw ApiException.conflict("job '" + id + "' already exists with another spec");
            return new Submitted(withLive(existing), false);  // the same request again (a retry, a redelivered record)
        }
        queue.add(id);
        return new Submitted(job, true);
    }

    public Optional<TrainingJob> get(String id) {
        StoreLayout.requireName(id);
        return read(id).map(this::withLive);
    }

    /** Recent jobs, newest first. */
    public List<TrainingJob> list(int limit) {
        List<TrainingJob> out = new ArrayList<>();
        for (String prefix : store.listPrefixes(StoreLayout.trainingJobs())) {
            String id = prefix.substring(StoreLayout.trainingJobs().length(), prefix.length() - 1);
            read(id).ifPresent(j -> out.add(withLive(j)));
        }
        out.sort(Comparator.comparing(TrainingJob::createdAt).reversed());
        return out.size() > limit ? out.subList(0, limit) : out;
    }

    /** Cancels a queued job at once, a running one at its next micro-batch; a finished job is left as it is (409). */
    public TrainingJob cancel(String id) {
        TrainingJob job = get(id).orElseThrow(() -> ApiException.notFound("no job '" + id + "'"));
        if (job.finished()) throw ApiException.conflict("job '" + id + "' has already " + job.status());
        cancelRequested.add(id);
        if (!id.equals(running) && queue.remove(id)) {
            finishCancelled(job);
            return read(id).orElseThrow();
        }
        return job;
    }

    /** Queues every job the store says is queued or was running; returns how many. */
    public int recover() {
        int n = 0;
        for (String prefix : store.listPrefixes(StoreLayout.trainingJobs())) {
            String id = prefix.substring(StoreLayout.trainingJobs().length(), prefix.length() - 1);
            Optional<TrainingJob> job = read(id);
            if (job.isPresent() && !job.get().finished() && !queue.contains(id) && !id.equals(running)) {
                queue.add(id);
                n++;
            }
        }
        startWorker();
        return n;
    }

    /** Test hook: the job stops after writing the checkpoint of this step, as if the process had been killed. */
    public void haltAfterCheckpoint(String id, int step) {
        haltAfterCheckpoint.put(id, step);
    }

    private void work() {
        while (!Thread.currentThread().isInterrupted()) {
            String id;
            try {
                id = queue.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (id == null) continue;
            running = id;
            try {
                runOne(id);
            } catch (SimulatedCrash e) {
                LOG.warnf("job %s: %s", id, e.getMessage());
            } catch (RuntimeException e) {
                // The store was unreachable to record the outcome: the job stays queued/running and resumes at the next start.
                LOG.errorf("job %s: could not record its outcome (%s); it resumes at the next start", id, e.getClass().getSimpleName());
            } finally {
                running = null;
                live.remove(id);
            }
        }
    }

    private void runOne(String id) {
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
        try {
            JobRunner.Outcome o = runner.run(job.spec(), new JobRunner.Hooks() {
                @Override
                public void progress(Trainer.Progress p) {
                    TrainingJob.Progress tp = new TrainingJob.Progress(p.step(), p.totalSteps(), p.epoch(), p.loss(), p.learningRate(), p.tokensPerSecond(), p.etaSeconds());
                    live.put(id, tp);
                    events.progress(id, TrainingProgress.of(id, p.step(), p.totalSteps(), p.epoch(), p.loss(), p.learningRate(), p.tokensPerSecond(), p.etaSeconds()));
                }

                @Override
                public void checkpointed(int step) {
                    current[0] = current[0].withProgress(live.get(id)).withCheckpoint(step);
                    save(current[0]);
                    if (haltAfterCheckpoint.remove(id, step)) throw new SimulatedCrash();
                }

                @Override
                public boolean cancelled() {
                    return cancelRequested.contains(id);
                }
            });
            TrainingJob done = current[0].withProgress(live.get(id)).succeeded(o.adapter(), o.parent(), o.metrics());
            save(done);
            runner.cleanUp(id);
            events.emit(id, TrainingCompleted.of(id, o.adapter(), o.parent(), o.metrics()));
            LOG.infof("job %s: succeeded, published %s", id, o.adapter());
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
        save(job.withProgress(live.get(job.jobId())).with(TrainingJob.FAILED, reason));
        runner.cleanUp(job.jobId());
        events.emit(job.jobId(), TrainingFailed.of(job.jobId(), reason, false));
    }

    private void finishCancelled(TrainingJob job) {
        save(job.with(TrainingJob.CANCELLED, "cancelled by request"));
        runner.cleanUp(job.jobId());
        events.emit(job.jobId(), TrainingFailed.of(job.jobId(), "cancelled by request", true));
        LOG.infof("job %s: cancelled", job.jobId());
    }

    private TrainingJob withLive(TrainingJob job) {
        TrainingJob.Progress p = live.get(job.jobId());
        return p == null || job.finished() ? job : job.withProgress(p);
    }

    private static String key(String id) {
        return StoreLayout.trainingJob(id) + "job.json";
    }

    private Optional<TrainingJob> read(String id) {
        return store.getBytes(key(id)).map(b -> {
            try {
                return JSON.readValue(b, TrainingJob.class);
            } catch (IOException e) {
                throw new IllegalStateException("job record " + id + " is not readable");
            }
        });
    }

    private void save(TrainingJob job) {
        store.put(key(job.jobId()), json(job), Map.of());
    }

    private static byte[] json(TrainingJob job) {
        try {
            return JSON.writeValueAsBytes(job);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
