package org.clinlora.tokenizer.datasets;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.NoteFiles;
import org.clinlora.model.data.SyntheticCorpus;
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
        DatasetSpec spec = job.spec();
        Tokenizers.Loaded tok = tokenizers.get(spec.model());
        boolean classification = DatasetSpec.CLASSIFICATION.equals(spec.kind());
        DatasetBuilder.LabelSpace labels = classification ? labelSpace(spec) : null;
        try (DatasetBuilder b = new DatasetBuilder(spec.datasetId(), spec.settings(tok.ids()), labels,
                tok.file(), StoredDatasets.sink(store, StoreLayout.dataset(spec.datasetId())))) {
            b.note("model", spec.model());
            boolean[] synthetic = {false};
            if (spec.splits() != null) {
                TaskSource src = spec.givenSplits();
                long total = 0;
                for (String key : src.splitFiles().values()) total += store.size(key).orElseThrow(() -> new IllegalArgumentException("source '" + key + "' is not in the bucket"));
                live.bytesTotal = total;
                live.skipped.addAndGet(TaskRows.addAll(src, opener(live), spec.malformedPolicy(), b, t -> {
                    if (live.notes.get() == 0 && t.text().startsWith(SyntheticCorpus.MARK)) synthetic[0] = true;
                    live.notes.incrementAndGet();
                }));
                b.note("skippedRows", live.skipped.get());
            } else if (spec.sources() != null) {
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
                                : NoteFiles.readTaskFile(r, spec.taskColumns(), spec.malformedPolicy(),
                                        t -> add(b, live, synthetic, t.id(), t.subjectId(), t.text(), classification ? t.labels() : null));
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

    private static void add(DatasetBuilder b, BuildProgress live, boolean[] synthetic, String id, String subject, String text, List<String> labels) {
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
        if (spec.splits() != null) {
            // Given splits: the training file's labels (validation/test-only labels are counted by the builder).
            DatasetBuilder.LabelSpace train = TaskRows.labels(spec.givenSplits(), (key, policy) -> CsvReader.of(key, store.open(key), policy), spec.malformedPolicy());
            seen.addAll(train.names());
            multi[0] = train.multilabel();
        } else if (spec.sources() != null) {
            for (String key : spec.sources()) {
                try (CsvReader r = CsvReader.of(key, store.open(key), spec.malformedPolicy())) {
                    multi[0] |= NoteFiles.readTaskLabels(r, spec.taskColumns(), spec.malformedPolicy(), seen);
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

    /** Opens bucket files, counting their bytes into the build's progress. */
    private TaskRows.Opener opener(BuildProgress live) {
        return (key, policy) -> CsvReader.of(key, counting(store.open(key), live.bytes), policy);
    }

    private void verifyUpload(DatasetJob job) throws IOException {
        try (InputStream in = store.open(job.spec().sources().get(0))) {
            String sha = Sha256.copy(in, java.io.OutputStream.nullOutputStream());
            if (!sha.equals(job.uploadSha256())) throw new IllegalArgumentException("the uploaded file in the store no longer matches its sha256; upload it again");
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
