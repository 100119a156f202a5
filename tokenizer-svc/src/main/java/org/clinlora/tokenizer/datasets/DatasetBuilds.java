package org.clinlora.tokenizer.datasets;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.events.DatasetReady;
import org.clinlora.platform.failure.Busy;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.failure.Failure;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.jobs.JobLeases;
import org.clinlora.platform.jobs.JobRecords;
import org.clinlora.platform.jobs.JobWorker;
import org.clinlora.platform.jobs.JobsConfig;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.tokenizer.TokenizerConfig;
import org.clinlora.tokenizer.tokenize.Tokenizers;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Dataset builds in the background. The job record in the store is the source of truth: it is created (create-only)
 * before the 202 goes out, so an accepted build is never lost; a service that restarts finds queued or interrupted
 * builds there, removes what an interrupted build had written, and builds them again from the start — builds are
 * deterministic (seeded split, fixed note order), so the result is the same dataset, with no duplicated rows. One build
 * runs at a time per process (tokenization is CPU-bound); more wait in a bounded queue. Replicas share the builds
 * through leases in the store ({@link JobLeases}): a build runs on the replica that holds its lease, and one left by a
 * replica that stopped is taken up by another once the lease expires.
 */
@ApplicationScoped
public class DatasetBuilds {
    private static final Logger LOG = Logger.getLogger(DatasetBuilds.class);
    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final int STORE_ATTEMPTS = 3;

    private final BlobStore store;
    private final Tokenizers tokenizers;
    private final NoteStreams streams;
    private final DatasetEvents events;
    private final int maxPending;
    private final DatasetAssembler assembler;
    private final JobRecords<DatasetJob> records;
    private final JobWorker worker;
    private final Duration recoverInterval;
    /** Builds queued or running in this process, with their live progress. */
    private final Map<String, BuildProgress> pending = new ConcurrentHashMap<>();

    public record Submitted(DatasetJob job, boolean created) {}

    public DatasetBuilds(
            BlobStore store,
            Tokenizers tokenizers,
            NoteStreams streams,
            DatasetEvents events,
            TokenizerConfig config,
            JobsConfig jobs,
            @ConfigProperty(name = "quarkus.http.port") int httpPort) {
        this.store = store;
        this.tokenizers = tokenizers;
        this.streams = streams;
        this.events = events;
        this.maxPending = config.maxPendingBuilds();
        if (maxPending < 1)
            throw new IllegalArgumentException("clinlora.tokenizer.max-pending-builds must be at least 1");
        this.assembler = new DatasetAssembler(store, tokenizers, streams);
        this.records = new JobRecords<>(
                store,
                StoreLayout.datasetJobs(),
                ".json",
                DatasetJob.class,
                DatasetJob::datasetId,
                DatasetJob::finished);
        JobLeases leases = new JobLeases(
                store, "dataset-jobs", jobs.owner().orElse(JobsConfig.defaultOwner(httpPort)), jobs.leaseTtl());
        this.worker =
                new JobWorker("dataset-builder", leases, this::runBuild, pending::remove); // skipped: not ours to show
        this.recoverInterval = jobs.recoverInterval();
    }

    /** At start-up and then periodically (the store may be down at boot; readiness says so, the next round retries). */
    void onStart(@Observes StartupEvent e) {
        worker.recoverEvery(recoverInterval, () -> {
            int n = recover();
            if (n > 0) LOG.infof("taking up %d dataset build(s) queued or interrupted without a live owner", n);
        });
    }

    void onStop(@Observes ShutdownEvent e) {
        worker.close();
    }

    /** Starts a build of object-store sources, of a task's given splits or of a notes.raw stream. */
    public Submitted submit(DatasetSpec request) {
        DatasetSpec spec = complete(request);
        List<String> keys = spec.sources() != null
                ? spec.sources()
                : spec.splits() != null
                        ? List.of(
                                spec.splits().train(),
                                spec.splits().validation(),
                                spec.splits().test())
                        : null;
        if (keys != null) {
            for (String key : keys) {
                if (store.size(key).isEmpty()) throw new NotFound("no object '" + key + "' in the bucket");
            }
        } else if (streams.keys(spec.stream()).isEmpty()) {
            throw new NotFound("no notes received on stream '" + spec.stream() + "' (topic notes.raw)");
        }
        return create(spec, null, null);
    }

    /** Starts a build of an uploaded file: kept in the store first, so a restart can build it again. */
    public Submitted submitUpload(DatasetSpec request, Path file) throws IOException {
        DatasetSpec spec = complete(request.withId(request.datasetId()));
        if (spec.stream() != null) throw new InvalidRequest("an upload is the source; stream must not be set");
        return create(spec, file, Sha256.of(file));
    }

    private DatasetSpec complete(DatasetSpec request) {
        DatasetSpec spec = request.withDefaults();
        String id = spec.datasetId() != null
                ? spec.datasetId()
                : "ds-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        Tokenizers.Loaded tok = tokenizers.get(spec.model()); // unknown model: 404 now, not a failed build later
        if (!tok.causalLm() && !DatasetSpec.CLASSIFICATION.equals(spec.kind())) {
            throw new Unprocessable(
                    "invalid_dataset",
                    "model '" + spec.model() + "' is a " + tok.modelType()
                            + " encoder: it takes classification datasets only (causal_lm rows are for LLaMA's Clinical LoRA)");
        }
        return spec.withId(id);
    }

    private Submitted create(DatasetSpec spec, Path upload, String uploadSha256) {
        String id = spec.datasetId();
        if (pending.size() >= maxPending) throw new Busy(pending.size() + " dataset builds are waiting; retry later");
        if (upload != null) spec = spec.withSources(List.of(StoreLayout.datasetUpload(id)));
        DatasetJob job = DatasetJob.queued(spec, uploadSha256);
        if (!records.create(job)) {
            DatasetJob existing =
                    read(id).orElseThrow(() -> new Conflict("dataset '" + id + "' is being created; retry"));
            boolean same = existing.spec().equals(spec) && Objects.equals(existing.uploadSha256(), uploadSha256);
            if (!same) throw new Conflict("dataset '" + id + "' already exists with another spec or source");
            return new Submitted(withLive(existing), false); // the same request again: the same build
        }
        if (upload != null) store.put(StoreLayout.datasetUpload(id), upload, Map.of("sha256", uploadSha256));
        enqueue(id);
        return new Submitted(withLive(job), true);
    }

    /** Recent builds, newest first (at most {@code limit}). */
    public List<DatasetJob> list(int limit) {
        List<DatasetJob> out = new ArrayList<>();
        for (String id : records.ids()) read(id).ifPresent(j -> out.add(withLive(j)));
        out.sort(Comparator.comparing(DatasetJob::createdAt).reversed());
        return out.size() > limit ? out.subList(0, limit) : out;
    }

    public Optional<DatasetJob> get(String id) {
        StoreLayout.requireName(id);
        return read(id).map(this::withLive);
    }

    public Optional<JsonNode> manifest(String id) {
        return store.getBytes(StoreLayout.dataset(id) + DatasetBuilder.MANIFEST).map(b -> {
            try {
                return JSON.readTree(b);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Queues every build the store says is queued or was interrupted; returns how many. */
    public int recover() {
        int n = 0;
        for (String id : records.unfinished()) {
            if (!worker.holds(id) && !pending.containsKey(id) && worker.claimable(id)) {
                enqueue(id);
                n++;
            }
        }
        return n;
    }

    private void enqueue(String id) {
        if (pending.putIfAbsent(id, new BuildProgress()) != null) return;
        worker.offer(id);
    }

    /** On the worker: a build that stops on an exception keeps its record queued/building for the next start. */
    private void runBuild(String id) {
        try {
            build(id);
        } finally {
            pending.remove(id);
        }
    }

    private void build(String id) {
        DatasetJob job = read(id).orElse(null);
        if (job == null || job.finished()) return;
        String prefix = StoreLayout.dataset(id);
        Optional<JsonNode> done = manifest(id);
        if (done.isPresent()) { // written, but the service stopped before it recorded so
            finish(job, done.get());
            return;
        }
        for (int attempt = 1; ; attempt++) {
            try {
                for (String k : store.list(prefix)) store.delete(k); // whatever an interrupted build left
                save(job.with(DatasetJob.BUILDING, null));
                pending.get(id).running = true;
                LOG.infof(
                        "dataset %s: building (%s, seq len %d)",
                        id, job.spec().kind(), job.spec().seqLen());
                JsonNode manifest = JSON.valueToTree(assembler.build(job, pending.get(id)));
                if (worker.leaseLost(id)) { // another replica has taken the build over and builds it from the start
                    LOG.warnf("dataset %s: lease lost; the replica that took it over finishes it", id);
                    return;
                }
                finish(job, manifest);
                return;
            } catch (ObjectStore.StoreException e) {
                if (attempt >= STORE_ATTEMPTS) {
                    fail(job, "the object store failed during the build (" + attempt + " attempts); submit it again");
                    return;
                }
                LOG.warnf("dataset %s: object store error, attempt %d of %d", id, attempt, STORE_ATTEMPTS);
                sleep(1000L << (2 * attempt));
            } catch (Failure | IllegalArgumentException e) {
                fail(job, e.getMessage()); // bad input: the reasons name lines, rows and fields, never note text
                return;
            } catch (IOException | RuntimeException e) {
                LOG.errorf("dataset %s: build failed (%s)", id, e.getClass().getName());
                fail(job, "internal error (" + e.getClass().getSimpleName() + ")");
                return;
            }
        }
    }

    private void finish(DatasetJob job, JsonNode manifest) {
        byte[] stored = store.getBytes(StoreLayout.dataset(job.datasetId()) + DatasetBuilder.MANIFEST)
                .orElseThrow();
        String sha = Sha256.of(stored);
        Map<String, Object> counts = JSON.convertValue(manifest.get("counts"), Map.class);
        save(job.ready(counts, sha));
        Map<String, Long> rows = new LinkedHashMap<>();
        manifest.get("counts")
                .fields()
                .forEachRemaining(
                        e -> rows.put(e.getKey(), e.getValue().path("rows").asLong()));
        events.announce(
                job.datasetId(),
                DatasetReady.of(
                        job.datasetId(),
                        job.spec().kind(),
                        job.spec().model(),
                        job.spec().seqLen(),
                        rows,
                        manifest.path("tokenizerSha256").asText(),
                        sha));
        LOG.infof("dataset %s: ready, rows %s", job.datasetId(), rows);
    }

    private void fail(DatasetJob job, String reason) {
        LOG.warnf("dataset %s: failed: %s", job.datasetId(), reason);
        save(job.with(DatasetJob.FAILED, reason));
    }

    private DatasetJob withLive(DatasetJob job) {
        BuildProgress l = pending.get(job.datasetId());
        if (l == null || job.finished()) return job;
        Double fraction = null;
        if (l.bytesTotal != null && l.bytesTotal > 0) fraction = Math.min(1.0, (double) l.bytes.get() / l.bytesTotal);
        else if (l.notesTotal != null && l.notesTotal > 0) fraction = (double) l.notes.get() / l.notesTotal;
        return job.withProgress(new DatasetJob.Progress(
                l.notes.get(), l.notesTotal, l.bytes.get(), l.bytesTotal, l.skipped.get(), fraction));
    }

    private Optional<DatasetJob> read(String id) {
        return records.read(id);
    }

    private void save(DatasetJob job) {
        records.save(job.withProgress(null)); // progress is live, never stored
    }

    private static void sleep(long ms) {
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }
}
