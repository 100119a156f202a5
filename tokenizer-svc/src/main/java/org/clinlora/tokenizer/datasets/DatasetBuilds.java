package org.clinlora.tokenizer.datasets;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.clinlora.core.api.ApiException;
import org.clinlora.core.data.CsvReader;
import org.clinlora.core.data.DatasetBuilder;
import org.clinlora.core.data.DatasetSink;
import org.clinlora.core.data.NoteFiles;
import org.clinlora.core.data.SyntheticCorpus;
import org.clinlora.core.events.DatasetReady;
import org.clinlora.core.io.Sha256;
import org.clinlora.core.store.ObjectStore;
import org.clinlora.core.store.StoreLayout;
import org.clinlora.tokenizer.messaging.DatasetEvents;
import org.clinlora.tokenizer.tokenize.Tokenizers;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Dataset builds in the background. The job record in the store is the source of truth: it is created (create-only)
 * before the 202 goes out, so an accepted build is never lost; a service that restarts finds queued or interrupted
 * builds there, removes what an interrupted build had written, and builds them again from the start — builds are
 * deterministic (seeded split, fixed note order), so the result is the same dataset, with no duplicated rows.
 * One build runs at a time per process (tokenization is CPU-bound); more wait in a bounded queue.
 */
@ApplicationScoped
public class DatasetBuilds {
    private static final Logger LOG = Logger.getLogger(DatasetBuilds.class);
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final int STORE_ATTEMPTS = 3;

    private final ObjectStore store;
    private final Tokenizers tokenizers;
    private final NoteStreams streams;
    private final DatasetEvents events;
    private final int maxPending;
    private final ExecutorService builder = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "dataset-builder");
        t.setDaemon(true);
        return t;
    });
    /** Builds queued or running in this process, with their live progress. */
    private final Map<String, Live> pending = new ConcurrentHashMap<>();

    private static final class Live {
        final AtomicLong notes = new AtomicLong(), bytes = new AtomicLong(), skipped = new AtomicLong();
        volatile Long notesTotal, bytesTotal;
        volatile boolean running;
    }

    public record Submitted(DatasetJob job, boolean created) {}

    public DatasetBuilds(ObjectStore store, Tokenizers tokenizers, NoteStreams streams, DatasetEvents events,
                         @ConfigProperty(name = "clinlora.datasets.max-pending", defaultValue = "64") int maxPending) {
        this.store = store;
        this.tokenizers = tokenizers;
        this.streams = streams;
        this.events = events;
        this.maxPending = maxPending;
    }

    void onStart(@Observes StartupEvent e) {
        try {
            int n = recover();
            if (n > 0) LOG.infof("resuming %d dataset build(s) left queued or interrupted", n);
        } catch (RuntimeException ex) {
            // The store may be down at boot; readiness says so, and the builds wait for the next start.
            LOG.errorf("could not look for interrupted dataset builds: %s", ex.getClass().getSimpleName());
        }
    }

    void onStop(@Observes ShutdownEvent e) {
        builder.shutdownNow();
    }

    /** Starts a build of object-store sources or of a notes.raw stream. */
    public Submitted submit(DatasetSpec request) {
        DatasetSpec spec = complete(request);
        if (spec.sources() != null) {
            for (String key : spec.sources()) {
                if (store.size(key).isEmpty()) throw ApiException.notFound("no object '" + key + "' in the bucket");
            }
        } else if (streams.keys(spec.stream()).isEmpty()) {
            throw ApiException.notFound("no notes received on stream '" + spec.stream() + "' (topic notes.raw)");
        }
        return create(spec, null, null);
    }

    /** Starts a build of an uploaded file: kept in the store first, so a restart can build it again. */
    public Submitted submitUpload(DatasetSpec request, Path file) throws IOException {
        DatasetSpec spec = complete(request.withId(request.datasetId()));
        if (spec.stream() != null) throw ApiException.invalid("an upload is the source; stream must not be set");
        return create(spec, file, Sha256.of(file));
    }

    private DatasetSpec complete(DatasetSpec request) {
        DatasetSpec spec = request.withDefaults();
        String id = spec.datasetId() != null ? spec.datasetId() : "ds-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        tokenizers.get(spec.model());  // unknown model: 404 now, not a failed build later
        return spec.withId(id);
    }

    private Submitted create(DatasetSpec spec, Path upload, String uploadSha256) {
        String id = spec.datasetId();
        if (pending.size() >= maxPending) throw ApiException.busy(pending.size() + " dataset builds are waiting; retry later");
        if (upload != null) spec = new DatasetSpec(id, spec.model(), spec.kind(), spec.format(), List.of(StoreLayout.datasetUpload(id)),
                null, spec.seqLen(), spec.truncation(), spec.normalize(), spec.labels(), spec.multilabel(), spec.validationFraction(),
                spec.testFraction(), spec.seed(), spec.onMalformed(), spec.rowsPerShard());
        DatasetJob job = DatasetJob.queued(spec, uploadSha256);
        if (!store.putIfAbsent(StoreLayout.datasetJob(id), json(job))) {
            DatasetJob existing = read(id).orElseThrow(() -> ApiException.conflict("dataset '" + id + "' is being created; retry"));
            boolean same = existing.spec().equals(spec) && java.util.Objects.equals(existing.uploadSha256(), uploadSha256);
            if (!same) throw ApiException.conflict("dataset '" + id + "' already exists with another spec or source");
            return new Submitted(withLive(existing), false);  // the same request again: the same build
        }
        if (upload != null) store.put(StoreLayout.datasetUpload(id), upload, Map.of("sha256", uploadSha256));
        enqueue(id);
        return new Submitted(withLive(job), true);
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
        for (String key : store.list(StoreLayout.datasetJobs())) {
            String id = key.substring(StoreLayout.datasetJobs().length(), key.length() - ".json".length());
            Optional<DatasetJob> job = read(id);
            if (job.isPresent() && !job.get().finished() && !pending.containsKey(id)) {
                enqueue(id);
                n++;
            }
        }
        return n;
    }

    private void enqueue(String id) {
        if (pending.putIfAbsent(id, new Live()) != null) return;
        builder.submit(() -> {
            try {
                build(id);
            } catch (RuntimeException e) {
                // The job stays queued/building in the store, so the next start picks it up again.
                LOG.errorf("dataset %s: build stopped (%s); it will be retried on the next start", id, e.getClass().getSimpleName());
            } finally {
                pending.remove(id);
            }
        });
    }

    private void build(String id) {
        DatasetJob job = read(id).orElse(null);
        if (job == null || job.finished()) return;
        String prefix = StoreLayout.dataset(id);
        Optional<JsonNode> done = manifest(id);
        if (done.isPresent()) {  // written, but the service stopped before it recorded so
            finish(job, done.get());
            return;
        }
        for (int attempt = 1; ; attempt++) {
            try {
                for (String k : store.list(prefix)) store.delete(k);  // whatever an interrupted build left
                save(job.with(DatasetJob.BUILDING, null));
                pending.get(id).running = true;
                LOG.infof("dataset %s: building (%s, seq len %d)", id, job.spec().kind(), job.spec().seqLen());
                finish(job, JSON.valueToTree(run(job, pending.get(id))));
                return;
            } catch (ObjectStore.StoreException e) {
                if (attempt >= STORE_ATTEMPTS) {
                    fail(job, "the object store failed during the build (" + attempt + " attempts); submit it again");
                    return;
                }
                LOG.warnf("dataset %s: object store error, attempt %d of %d", id, attempt, STORE_ATTEMPTS);
                sleep(1000L << (2 * attempt));
            } catch (ApiException | IllegalArgumentException e) {
                fail(job, e.getMessage());  // bad input: the reasons name lines, rows and fields, never note text
                return;
            } catch (IOException | RuntimeException e) {
                LOG.errorf("dataset %s: build failed (%s)", id, e.getClass().getName());
                fail(job, "internal error (" + e.getClass().getSimpleName() + ")");
                return;
            }
        }
    }

    private Map<String, Object> run(DatasetJob job, Live live) throws IOException {
        DatasetSpec spec = job.spec();
        Tokenizers.Loaded tok = tokenizers.get(spec.model());
        boolean classification = DatasetSpec.CLASSIFICATION.equals(spec.kind());
        DatasetBuilder.LabelSpace labels = classification ? labelSpace(spec) : null;
        try (DatasetBuilder b = new DatasetBuilder(spec.datasetId(), spec.settings(tok.bosId(), tok.eosId(), tok.padId()), labels,
                tok.file(), DatasetSink.store(store, StoreLayout.dataset(spec.datasetId())))) {
            b.note("model", spec.model());
            boolean[] synthetic = {false};
            if (spec.sources() != null) {
                b.note("sources", spec.sources());
                b.note("format", spec.format());
                long total = 0;
                for (String key : spec.sources()) total += store.size(key).orElseThrow(() -> new IllegalArgumentException("source '" + key + "' is gone from the bucket"));
                live.bytesTotal = total;
                if (job.uploadSha256() != null) verifyUpload(job);
                for (String key : spec.sources()) {
                    try (CsvReader r = CsvReader.of(key, counting(store.open(key), live.bytes), spec.malformedPolicy())) {
                        long skipped = DatasetSpec.MIMIC_NOTES.equals(spec.format())
                                ? NoteFiles.readMimicNotes(r, spec.malformedPolicy(), n -> add(b, live, synthetic, n.noteId(), n.subjectId(), n.text(), null))
                                : NoteFiles.readTaskFile(r, spec.malformedPolicy(), t -> add(b, live, synthetic, t.id(), t.subjectId(), t.text(), classification ? t.labels() : null));
                        live.skipped.addAndGet(skipped);
                    }
                }
                b.note("skippedRows", live.skipped.get());
            } else {
                b.note("stream", spec.stream());
                List<String> keys = streams.keys(spec.stream());
                live.notesTotal = (long) keys.size();
                for (String key : keys) {
                    NoteStreams.StoredNote n = streams.read(key);
                    add(b, live, synthetic, n.noteId(), n.subjectId(), n.text(), classification ? n.labels() : null);
                }
            }
            if (synthetic[0]) b.note("synthetic", "made up by clinlora's synthetic corpus generator, not patient data");
            return b.commit();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void add(DatasetBuilder b, Live live, boolean[] synthetic, String id, String subject, String text, List<String> labels) {
        if (live.notes.get() == 0 && text != null && text.startsWith(SyntheticCorpus.MARK)) synthetic[0] = true;
        try {
            b.add(id, subject == null || subject.isBlank() ? null : subject, text, labels);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        live.notes.incrementAndGet();
    }

    /** The labels the request named (in its order), else every label in the data, sorted (numbers numerically). */
    private DatasetBuilder.LabelSpace labelSpace(DatasetSpec spec) throws IOException {
        java.util.Set<String> seen = new java.util.HashSet<>();
        boolean[] multi = {false};
        if (spec.sources() != null) {
            for (String key : spec.sources()) {
                try (CsvReader r = CsvReader.of(key, store.open(key), spec.malformedPolicy())) {
                    multi[0] |= NoteFiles.readTaskLabels(r, spec.malformedPolicy(), seen);
                }
            }
        } else {
            for (String key : streams.keys(spec.stream())) {
                List<String> l = streams.read(key).labels();
                if (l.size() != 1) multi[0] = true;
                seen.addAll(l);
            }
        }
        boolean multilabel = spec.multilabel() != null ? spec.multilabel() : multi[0];
        List<String> names = spec.labels() != null ? spec.labels() : DatasetBuilder.LabelSpace.sorted(seen);
        if (names.isEmpty()) throw new IllegalArgumentException("no labels in the data; a classification dataset needs label or labels values");
        return new DatasetBuilder.LabelSpace(names, multilabel);
    }

    private void verifyUpload(DatasetJob job) throws IOException {
        try (InputStream in = store.open(job.spec().sources().get(0))) {
            String sha = Sha256.copy(in, java.io.OutputStream.nullOutputStream());
            if (!sha.equals(job.uploadSha256())) throw new IllegalArgumentException("the uploaded file in the store no longer matches its sha256; upload it again");
        }
    }

    private void finish(DatasetJob job, JsonNode manifest) {
        byte[] stored = store.getBytes(StoreLayout.dataset(job.datasetId()) + DatasetBuilder.MANIFEST).orElseThrow();
        String sha = Sha256.of(stored);
        Map<String, Object> counts = JSON.convertValue(manifest.get("counts"), Map.class);
        save(job.ready(counts, sha));
        Map<String, Long> rows = new LinkedHashMap<>();
        manifest.get("counts").fields().forEachRemaining(e -> rows.put(e.getKey(), e.getValue().path("rows").asLong()));
        events.ready(DatasetReady.of(job.datasetId(), job.spec().kind(), job.spec().model(), job.spec().seqLen(), rows,
                manifest.path("tokenizerSha256").asText(), sha));
        LOG.infof("dataset %s: ready, rows %s", job.datasetId(), rows);
    }

    private void fail(DatasetJob job, String reason) {
        LOG.warnf("dataset %s: failed: %s", job.datasetId(), reason);
        save(job.with(DatasetJob.FAILED, reason));
    }

    private DatasetJob withLive(DatasetJob job) {
        Live l = pending.get(job.datasetId());
        if (l == null || job.finished()) return job;
        Double fraction = null;
        if (l.bytesTotal != null && l.bytesTotal > 0) fraction = Math.min(1.0, (double) l.bytes.get() / l.bytesTotal);
        else if (l.notesTotal != null && l.notesTotal > 0) fraction = (double) l.notes.get() / l.notesTotal;
        return job.withProgress(new DatasetJob.Progress(l.notes.get(), l.notesTotal, l.bytes.get(), l.bytesTotal, l.skipped.get(), fraction));
    }

    private Optional<DatasetJob> read(String id) {
        return store.getBytes(StoreLayout.datasetJob(id)).map(b -> {
            try {
                return JSON.readValue(b, DatasetJob.class);
            } catch (IOException e) {
                throw new IllegalStateException("dataset job record " + id + " is not readable");
            }
        });
    }

    private void save(DatasetJob job) {
        store.put(StoreLayout.datasetJob(job.datasetId()), json(job), Map.of());
    }

    private static byte[] json(DatasetJob job) {
        try {
            return JSON.writeValueAsBytes(job.withProgress(null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream counting(InputStream in, AtomicLong count) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) count.incrementAndGet();
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                if (n > 0) count.addAndGet(n);
                return n;
            }
        };
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
