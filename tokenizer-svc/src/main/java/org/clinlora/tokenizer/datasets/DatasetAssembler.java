package org.clinlora.tokenizer.datasets;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.NoteFiles;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TaskExample;
import org.clinlora.model.data.TaskRows;
import org.clinlora.model.data.TaskSource;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.platform.store.StoredDatasets;
import org.clinlora.tokenizer.tokenize.Tokenizers;

/**
 * One build's work: stream the sources (bucket files or a notes.raw stream) through the model library's
 * {@link DatasetBuilder} into {@code datasets/{id}/}, counting progress as it goes. Queueing, retries and the job
 * record are {@link DatasetBuilds}'.
 */
final class DatasetAssembler {
    private final BlobStore store;
    private final Tokenizers tokenizers;
    private final NoteStreams streams;

    DatasetAssembler(BlobStore store, Tokenizers tokenizers, NoteStreams streams) {
        this.store = store;
        this.tokenizers = tokenizers;
        this.streams = streams;
    }

    /** Builds the dataset and returns its manifest. */
    Map<String, Object> build(DatasetJob job, BuildProgress live) throws IOException {
        try (Tokenizers.Lease lease = tokenizers.lease()) { // the service's tokenizer is not freed under the build
            return build(job, live, tokenizers.get(job.spec().model()));
        }
    }

    private Map<String, Object> build(DatasetJob job, BuildProgress live, Tokenizers.Loaded tok) throws IOException {
        DatasetSpec spec = job.spec();
        boolean classification = DatasetSpec.CLASSIFICATION.equals(spec.kind());
        DatasetBuilder.LabelSpace labels = classification ? labelSpace(spec) : null;
        try (DatasetBuilder b = new DatasetBuilder(
                spec.datasetId(),
                spec.settings(tok.ids()),
                labels,
                tok.tokenizer(), // the service's own, loaded once: its word cache stays warm between builds
                tok.sha256(),
                StoredDatasets.sink(store, StoreLayout.dataset(spec.datasetId())))) {
            b.note("model", spec.model());
            Rows rows = new Rows(b, live, classification);
            if (spec.splits() != null) addGivenSplits(spec, rows);
            else if (spec.sources() != null) addSources(job, rows);
            else addStream(spec, rows);
            if (rows.synthetic)
                b.note("synthetic", "made up by clinlora's synthetic corpus generator, not patient data");
            return b.commit();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** A task's own train/validation/test files, each row into its given split. */
    private void addGivenSplits(DatasetSpec spec, Rows rows) throws IOException {
        TaskSource src = spec.givenSplits();
        rows.live.bytesTotal = totalBytes(src.splitFiles().values(), "is not in the bucket");
        long skipped = TaskRows.addAll(src, opener(rows.live), spec.malformedPolicy(), rows.builder, rows::added);
        rows.live.skipped.addAndGet(skipped);
        rows.builder.note("skippedRows", rows.live.skipped.get());
    }

    /** Bucket files (MIMIC-IV-Note notes or task files, an upload's stored copy included), split by patient. */
    private void addSources(DatasetJob job, Rows rows) throws IOException {
        DatasetSpec spec = job.spec();
        rows.builder.note("sources", spec.sources());
        rows.builder.note("format", spec.format());
        rows.live.bytesTotal = totalBytes(spec.sources(), "is gone from the bucket");
        if (job.uploadSha256() != null) verifyUpload(job);
        for (String key : spec.sources()) {
            try (CsvReader r = CsvReader.of(key, counting(store.open(key), rows.live.bytes), spec.malformedPolicy())) {
                rows.live.skipped.addAndGet(readNotes(spec, r, rows));
            }
        }
        rows.builder.note("skippedRows", rows.live.skipped.get());
    }

    /** One source file's notes into the build; returns the rows skipped as malformed. */
    private static long readNotes(DatasetSpec spec, CsvReader r, Rows rows) throws IOException {
        if (DatasetSpec.MIMIC_NOTES.equals(spec.format())) {
            return NoteFiles.readMimicNotes(
                    r, spec.malformedPolicy(), n -> rows.add(n.noteId(), n.subjectId(), n.text(), null));
        }
        return NoteFiles.readTaskFile(
                r,
                spec.taskColumns(),
                spec.malformedPolicy(),
                t -> rows.add(t.id(), t.subjectId(), t.text(), t.labels()));
    }

    /** The notes received on a notes.raw stream, in the order of their keys (never of their arrival). */
    private void addStream(DatasetSpec spec, Rows rows) {
        rows.builder.note("stream", spec.stream());
        List<String> keys = streams.keys(spec.stream());
        rows.live.notesTotal = (long) keys.size();
        for (String key : keys) {
            NoteStreams.StoredNote n = streams.read(key);
            rows.add(n.noteId(), n.subjectId(), n.text(), n.labels());
        }
    }

    private long totalBytes(Collection<String> keys, String whenMissing) {
        long total = 0;
        for (String key : keys) {
            total += store.size(key)
                    .orElseThrow(() -> new IllegalArgumentException("source '" + key + "' " + whenMissing));
        }
        return total;
    }

    /**
     * Where one build's rows go: the builder, with the live progress counted and the corpus marked synthetic when its
     * first note carries the synthetic generator's mark. Labels are kept for classification datasets only.
     */
    private static final class Rows {
        final DatasetBuilder builder;
        final BuildProgress live;
        final boolean classification;
        boolean synthetic;

        Rows(DatasetBuilder builder, BuildProgress live, boolean classification) {
            this.builder = builder;
            this.live = live;
            this.classification = classification;
        }

        void add(String id, String subject, String text, List<String> labels) {
            try {
                builder.add(
                        id,
                        subject == null || subject.isBlank() ? null : subject,
                        text,
                        classification ? labels : null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            count(text);
        }

        /** A row the builder has taken (given splits add their rows themselves). */
        void added(TaskExample row) {
            count(row.text());
        }

        private void count(String text) {
            if (live.notes.get() == 0 && text != null && text.startsWith(SyntheticCorpus.MARK)) synthetic = true;
            live.notes.incrementAndGet();
        }
    }

    /** The labels the request named (in its order), else every label in the data, sorted (numbers numerically). */
    private DatasetBuilder.LabelSpace labelSpace(DatasetSpec spec) throws IOException {
        Set<String> seen = new HashSet<>();
        boolean multi = false;
        if (spec.splits() != null) {
            // Given splits: the training file's labels (validation/test-only labels are counted by the builder).
            DatasetBuilder.LabelSpace train = TaskRows.labels(
                    spec.givenSplits(),
                    (key, policy) -> CsvReader.of(key, store.open(key), policy),
                    spec.malformedPolicy());
            seen.addAll(train.names());
            multi = train.multilabel();
        } else if (spec.sources() != null) {
            for (String key : spec.sources()) {
                try (CsvReader r = CsvReader.of(key, store.open(key), spec.malformedPolicy())) {
                    multi |= NoteFiles.readTaskLabels(r, spec.taskColumns(), spec.malformedPolicy(), seen);
                }
            }
        } else {
            for (String key : streams.keys(spec.stream())) {
                List<String> l = streams.read(key).labels();
                if (l.size() != 1) multi = true;
                seen.addAll(l);
            }
        }
        boolean multilabel = spec.multilabel() != null ? spec.multilabel() : multi;
        List<String> names = spec.labels() != null ? spec.labels() : DatasetBuilder.LabelSpace.sorted(seen);
        if (names.isEmpty())
            throw new IllegalArgumentException(
                    "no labels in the data; a classification dataset needs label or labels values");
        return new DatasetBuilder.LabelSpace(names, multilabel);
    }

    /** Opens bucket files, counting their bytes into the build's progress. */
    private TaskRows.Opener opener(BuildProgress live) {
        return (key, policy) -> CsvReader.of(key, counting(store.open(key), live.bytes), policy);
    }

    private void verifyUpload(DatasetJob job) throws IOException {
        try (InputStream in = store.open(job.spec().sources().get(0))) {
            String sha = Sha256.copy(in, OutputStream.nullOutputStream());
            if (!sha.equals(job.uploadSha256()))
                throw new IllegalArgumentException(
                        "the uploaded file in the store no longer matches its sha256; upload it again");
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
}
