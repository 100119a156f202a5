package org.clinlora.model.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.clinlora.model.base.SpecialIds;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.model.text.NoteNormalizer;

/**
 * Token datasets as docs/DATASETS.md lays them out: safetensors shards with {@code input_ids} I32 [N, L],
 * {@code lengths} I32 [N] and, for tasks, {@code labels} (I64 [N] multiclass, F32 [N, C] multi-hot), plus
 * {@code manifest.json} (tokenizer sha256, seq len, counts, label names, per-shard sha256), written last.
 *
 * <ul>
 *   <li>causal-LM: each note as {@code <s> … </s>}, concatenated and cut into full rows of {@code seqLen}; the
 *       incomplete tail of each split is dropped, so no row is padded — or ({@link #notePerRow}, the paper's code) each
 *       note its own row, {@code <s>} first, truncated to {@code seqLen} and right-padded;
 *   <li>classification: one row per note, {@code <s>} first (BERT: {@code [CLS]} first, {@code [SEP]} last), truncated
 *       (head, tail or head+tail) or right-padded with the pad id to {@code seqLen}.
 * </ul>
 *
 * Rows go to train / validation / test by patient ({@code subject_id}, else the row id), seeded, so no patient's notes
 * straddle two splits (or, {@link #splitByRow}, by the row id alone: a random hold-out, as the paper's code held out
 * its clinical notes) — or, for data that come with their own splits (the CORe and BEEP recipes' train/val/test files),
 * each row to the split it was given ({@link #addTo}), never moved. Then the label names are the training split's; a
 * validation or test row's label outside them is counted in the manifest ({@code unseenLabels}) and left out of the
 * row's target, and an id found in two splits is counted ({@code idsInSeveralSplits}). Classification shards carry
 * their rows' ids (safetensors metadata {@code row_ids}), so predictions can be joined back to the source rows.
 */
public final class DatasetBuilder implements AutoCloseable {
    public static final String MANIFEST = "manifest.json";
    public static final List<String> SPLITS = List.of("train", "validation", "test");
    /** The shard metadata key holding a classification shard's row ids, a JSON list in row order. */
    public static final String ROW_IDS = "row_ids";

    public record Settings(
            TaskKind kind,
            int seqLen,
            NoteEncoding.Truncation truncation,
            NoteNormalizer normalizer,
            double validationFraction,
            double testFraction,
            long seed,
            int rowsPerShard,
            int bosId,
            int eosId,
            int padId,
            int sepId) {
        public Settings {
            if (seqLen < 2) throw new IllegalArgumentException("seq len must be at least 2");
            if (validationFraction < 0 || testFraction < 0 || validationFraction + testFraction >= 1) {
                throw new IllegalArgumentException("validation + test fractions must be in [0, 1)");
            }
            if (rowsPerShard < 1) throw new IllegalArgumentException("rows per shard must be positive");
        }

        /** LLaMA's rows: {@code <s>} in front, not closed. */
        public Settings(
                TaskKind kind,
                int seqLen,
                NoteEncoding.Truncation truncation,
                NoteNormalizer normalizer,
                double validationFraction,
                double testFraction,
                long seed,
                int rowsPerShard,
                int bosId,
                int eosId,
                int padId) {
            this(
                    kind,
                    seqLen,
                    truncation,
                    normalizer,
                    validationFraction,
                    testFraction,
                    seed,
                    rowsPerShard,
                    bosId,
                    eosId,
                    padId,
                    -1);
        }

        /** With the base model's special tokens (BERT: [CLS] … [SEP]). */
        public Settings(
                TaskKind kind,
                int seqLen,
                NoteEncoding.Truncation truncation,
                NoteNormalizer normalizer,
                double validationFraction,
                double testFraction,
                long seed,
                int rowsPerShard,
                SpecialIds ids) {
            this(
                    kind,
                    seqLen,
                    truncation,
                    normalizer,
                    validationFraction,
                    testFraction,
                    seed,
                    rowsPerShard,
                    ids.bos(),
                    ids.eos(),
                    ids.pad(),
                    ids.sep());
        }

        /** How a classification note becomes its row (the rule the scorer applies too). */
        public NoteEncoding encoding() {
            return new NoteEncoding(normalizer, truncation, seqLen, bosId, padId, sepId < 0 ? null : sepId);
        }
    }

    /** A task's labels: names in their stable order, and whether a row may have several. */
    public record LabelSpace(List<String> names, boolean multilabel) {
        /**
         * Labels found in the data in a stable order: class indices ("0".."3") numerically, anything else, ICD-9 codes
         * included ("0389" before "486"), as strings.
         */
        public static List<String> sorted(Collection<String> labels) {
            boolean indices = labels.stream().allMatch(l -> l.matches("0|[1-9]\\d{0,17}"));
            return labels.stream()
                    .distinct()
                    .sorted(indices ? Comparator.comparingLong(Long::parseLong) : Comparator.naturalOrder())
                    .toList();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String datasetId;
    private final Settings s;
    private final NoteEncoding encoding;
    private final LabelSpace labels;
    private final Map<String, Integer> labelIndex = new HashMap<>();
    private final ClinicalTokenizer tokenizer;
    /** Whether the tokenizer is this builder's to close (loaded here) or its caller's (shared). */
    private final boolean ownsTokenizer;

    private final String tokenizerSha256;
    private final DatasetSink sink;
    private final Map<String, Split> splits = new LinkedHashMap<>();
    private final List<Map<String, Object>> shards = new ArrayList<>();
    private final Map<String, Object> extra = new LinkedHashMap<>();
    /** Given splits only: where each id went, the label names seen outside the training split's, ids in two splits. */
    private final Map<String, String> splitOfId = new HashMap<>();

    private final Map<String, Map<String, Long>> unseenLabels = new LinkedHashMap<>();
    private final Map<String, Long> unseenLabelRows = new LinkedHashMap<>();
    private long idsInSeveralSplits;
    private final List<String> idsInSeveralSplitsExamples = new ArrayList<>();
    private Boolean givenSplits;
    private boolean committed;
    private boolean notePerRow, splitByRow, givenLabelSet;
    private long rowsOutsideLabelSet, labelsOutsideLabelSet;

    /** One split's pending rows (and, for causal LM, the token stream not yet cut into rows). */
    private static final class Split {
        final List<int[]> rows = new ArrayList<>();
        final List<Integer> lengths = new ArrayList<>();
        final List<List<String>> rowLabels = new ArrayList<>();
        final List<String> ids = new ArrayList<>();
        final List<Integer> stream = new ArrayList<>();
        long totalRows, notes, tokens, truncated;
    }

    public DatasetBuilder(String datasetId, Settings settings, LabelSpace labels, Path tokenizerJson, DatasetSink sink)
            throws IOException {
        this(
                datasetId,
                checked(settings, labels), // the arguments run in order: refusals come before the tokenizer is loaded
                labels,
                Sha256.of(Files.isDirectory(tokenizerJson) ? tokenizerJson.resolve("tokenizer.json") : tokenizerJson),
                ClinicalTokenizer.load(tokenizerJson),
                true,
                sink);
    }

    /**
     * A build with a tokenizer already loaded (a service's, whose word cache is warm), which stays open after the
     * build; {@code tokenizerSha256} is its tokenizer.json's, for the manifest.
     */
    public DatasetBuilder(
            String datasetId,
            Settings settings,
            LabelSpace labels,
            ClinicalTokenizer tokenizer,
            String tokenizerSha256,
            DatasetSink sink) {
        this(datasetId, checked(settings, labels), labels, tokenizerSha256, tokenizer, false, sink);
    }

    /** The settings, once they and the labels are known to make a dataset (their refusals, before any loading). */
    private static Settings checked(Settings settings, LabelSpace labels) {
        if (settings.kind() == TaskKind.SEQ_CLS
                && (labels == null || labels.names().isEmpty()))
            throw new IllegalArgumentException("a classification dataset needs its label names");
        settings.encoding(); // refuses a seq len the special tokens do not fit in
        return settings;
    }

    private DatasetBuilder(
            String datasetId,
            Settings settings,
            LabelSpace labels,
            String tokenizerSha256,
            ClinicalTokenizer tokenizer,
            boolean ownsTokenizer,
            DatasetSink sink) {
        this.datasetId = datasetId;
        this.s = settings;
        this.encoding = settings.encoding();
        this.labels = labels;
        if (labels != null) for (String l : labels.names()) labelIndex.put(l, labelIndex.size());
        this.tokenizer = tokenizer;
        this.ownsTokenizer = ownsTokenizer;
        this.tokenizerSha256 = tokenizerSha256;
        this.sink = sink;
        for (String split : SPLITS) splits.put(split, new Split());
    }

    /** Causal LM: one note per row, truncated and padded, instead of notes packed into full rows. */
    public DatasetBuilder notePerRow(boolean on) {
        if (on && s.kind() != TaskKind.CAUSAL_LM)
            throw new IllegalArgumentException("note-per-row is a layout of causal-LM datasets");
        this.notePerRow = on;
        return this;
    }

    /**
     * The label space is a given list (the paper's code used fixed label maps), not the training split's: a label
     * outside it is dropped from its row (a single-label row is then skipped), counted in the manifest
     * ({@code outsideLabelSet}), rather than an error.
     */
    public DatasetBuilder givenLabelSet(boolean on) {
        this.givenLabelSet = on;
        return this;
    }

    /** Splits {@link #add}ed rows by their own id, ignoring the patient: a random hold-out. */
    public DatasetBuilder splitByRow(boolean on) {
        this.splitByRow = on;
        return this;
    }

    /** Free-form facts for the manifest (source files, a synthetic marker, skipped-row counts). */
    public void note(String key, Object value) {
        extra.put(key, value);
    }

    /** The split a patient belongs to: a seeded function of the patient id only. */
    public String splitOf(String patientKey) {
        double u = new SplittableRandom(s.seed() ^ (patientKey.hashCode() * 0x9E3779B97F4A7C15L)).nextDouble();
        return u < s.testFraction() ? "test" : u < s.testFraction() + s.validationFraction() ? "validation" : "train";
    }

    /**
     * Adds one note (causal LM) or one labelled example (classification; labels must be in the label space), split by
     * patient.
     */
    public void add(String id, String patient, String text, List<String> rowLabels) throws IOException {
        mode(false);
        append(splitOf(patient == null || splitByRow ? id : patient), id, text, rowLabels);
    }

    /**
     * Adds one row to the split the data came with ({@code train}, {@code validation} or {@code test}). A validation or
     * test label outside the label space is counted and left out of the row's target; in train it is an error.
     */
    public void addTo(String split, String id, String text, List<String> rowLabels) throws IOException {
        if (!SPLITS.contains(split))
            throw new IllegalArgumentException("split must be one of " + SPLITS + ", got '" + split + "'");
        mode(true);
        String before = splitOfId.putIfAbsent(id, split);
        if (before != null && !before.equals(split)) {
            idsInSeveralSplits++;
            if (idsInSeveralSplitsExamples.size() < 5) idsInSeveralSplitsExamples.add(id);
        }
        if (s.kind() == TaskKind.SEQ_CLS && !split.equals("train")) {
            List<String> known =
                    rowLabels.stream().filter(labelIndex::containsKey).toList();
            if (known.size() != rowLabels.size()) {
                Map<String, Long> counts = unseenLabels.computeIfAbsent(split, k -> new TreeMap<>());
                for (String l : rowLabels) if (!labelIndex.containsKey(l)) counts.merge(l, 1L, Long::sum);
                unseenLabelRows.merge(split, 1L, Long::sum);
                rowLabels = known;
            }
        }
        append(split, id, text, rowLabels);
    }

    private void mode(boolean given) {
        if (givenSplits != null && givenSplits != given)
            throw new IllegalStateException("a dataset is split by patient or given its splits, not both");
        givenSplits = given;
    }

    /** Validation/test labels outside the label space, by split, label and the rows that had it (given splits only). */
    public Map<String, Map<String, Long>> unseenLabels() {
        return unseenLabels;
    }

    /** How many rows were added under an id already added to another split (given splits only). */
    public long idsInSeveralSplits() {
        return idsInSeveralSplits;
    }

    /** A checked row waiting for its batch to be tokenized. */
    private record Queued(String split, String id, String text, List<String> labels) {}

    /** Rows are tokenized this many at a time, in one native call the Rust tokenizers run in parallel. */
    static final int ENCODE_BATCH = 64;

    private final List<Queued> queue = new ArrayList<>();

    private void append(String split, String id, String text, List<String> rowLabels) throws IOException {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("row " + id + ": empty text");
        if (s.kind() == TaskKind.SEQ_CLS && givenLabelSet) {
            List<String> kept =
                    rowLabels.stream().filter(labelIndex::containsKey).toList();
            if (kept.size() != rowLabels.size()) {
                rowsOutsideLabelSet++;
                labelsOutsideLabelSet += rowLabels.size() - kept.size();
                if (!labels.multilabel()) return;
                rowLabels = kept;
            }
        }
        if (s.kind() == TaskKind.SEQ_CLS) {
            for (String l : rowLabels) {
                if (!labelIndex.containsKey(l))
                    throw new IllegalArgumentException("row " + id + ": unknown label '" + l + "'");
            }
            // A row whose one class is outside the training split's labels (given splits) keeps no class: index -1.
            if (!labels.multilabel()
                    && rowLabels.size() != 1
                    && !(rowLabels.isEmpty() && givenSplits == Boolean.TRUE)) {
                throw new IllegalArgumentException("row " + id + ": needs exactly one label");
            }
        }
        queue.add(new Queued(split, id, text, rowLabels));
        if (queue.size() >= ENCODE_BATCH) drain();
    }

    /** Tokenizes the queued rows together and adds them in the order they came. */
    private void drain() throws IOException {
        if (queue.isEmpty()) return;
        List<String> texts = new ArrayList<>(queue.size());
        for (Queued q : queue) texts.add(s.normalizer().normalize(q.text()));
        long[][] ids = tokenizer.encodeBatch(texts, false);
        for (int i = 0; i < queue.size(); i++) place(queue.get(i), ids[i]);
        queue.clear();
    }

    private void place(Queued q, long[] ids) throws IOException {
        Split sp = splits.get(q.split());
        sp.notes++;
        if (s.kind() == TaskKind.CAUSAL_LM && notePerRow) {
            int n = Math.min(ids.length, s.seqLen() - 1);
            int[] row = new int[s.seqLen()];
            Arrays.fill(row, s.padId());
            row[0] = s.bosId();
            for (int i = 0; i < n; i++) row[i + 1] = (int) ids[i];
            if (n < ids.length) sp.truncated++;
            pending(q.split(), sp, row, n + 1, null, null);
            sp.tokens += ids.length;
        } else if (s.kind() == TaskKind.CAUSAL_LM) {
            sp.stream.add(s.bosId());
            for (long t : ids) sp.stream.add((int) t);
            sp.stream.add(s.eosId());
            while (sp.stream.size() >= s.seqLen()) {
                int[] row = new int[s.seqLen()];
                for (int i = 0; i < row.length; i++) row[i] = sp.stream.get(i);
                sp.stream.subList(0, s.seqLen()).clear();
                pending(q.split(), sp, row, s.seqLen(), null, null);
            }
            sp.tokens += ids.length;
        } else {
            NoteEncoding.Encoded note = encoding.cut(ids);
            int[] row = new int[s.seqLen()];
            Arrays.fill(row, s.padId());
            for (int i = 0; i < note.ids().length; i++) row[i] = (int) note.ids()[i];
            if (note.truncated()) sp.truncated++;
            pending(q.split(), sp, row, note.ids().length, q.labels(), q.id());
            sp.tokens += note.noteTokens();
        }
    }

    private void pending(String split, Split sp, int[] row, int length, List<String> rowLabels, String id)
            throws IOException {
        sp.rows.add(row);
        sp.lengths.add(length);
        sp.rowLabels.add(rowLabels);
        sp.ids.add(id);
        if (sp.rows.size() >= s.rowsPerShard()) flush(split, sp);
    }

    private void flush(String split, Split sp) throws IOException {
        int n = sp.rows.size();
        if (n == 0) return;
        int[] ids = new int[n * s.seqLen()];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(sp.rows.get(i), 0, ids, i * s.seqLen(), s.seqLen());
            lengths[i] = sp.lengths.get(i);
        }
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        t.put("input_ids", SafeTensors.Tensor.i32(new long[] {n, s.seqLen()}, ids));
        t.put("lengths", SafeTensors.Tensor.i32(new long[] {n}, lengths));
        if (s.kind() == TaskKind.SEQ_CLS) {
            int c = labels.names().size();
            if (labels.multilabel()) {
                float[] hot = new float[n * c];
                for (int i = 0; i < n; i++) for (String l : sp.rowLabels.get(i)) hot[i * c + labelIndex.get(l)] = 1f;
                t.put("labels", SafeTensors.Tensor.f32(new long[] {n, c}, hot));
            } else {
                long[] idx = new long[n];
                for (int i = 0; i < n; i++)
                    idx[i] = sp.rowLabels.get(i).isEmpty()
                            ? -1
                            : labelIndex.get(sp.rowLabels.get(i).get(0));
                t.put("labels", SafeTensors.Tensor.i64(new long[] {n}, idx));
            }
        }
        Path tmp = Files.createTempFile("clinlora-shard", ".safetensors");
        try {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("dataset", datasetId);
            meta.put("split", split);
            if (s.kind() == TaskKind.SEQ_CLS) meta.put(ROW_IDS, JSON.writeValueAsString(sp.ids));
            SafeTensors.write(tmp, t, meta);
            byte[] bytes = Files.readAllBytes(tmp);
            String file = String.format("shard-%05d.safetensors", shards.size());
            sink.put(file, bytes);
            Map<String, Object> shard = new LinkedHashMap<>();
            shard.put("file", file);
            shard.put("split", split);
            shard.put("rows", n);
            shard.put("sha256", Sha256.of(bytes));
            shard.put("bytes", bytes.length);
            shards.add(shard);
        } finally {
            Files.deleteIfExists(tmp);
        }
        sp.totalRows += n;
        sp.rows.clear();
        sp.lengths.clear();
        sp.rowLabels.clear();
        sp.ids.clear();
    }

    /** Writes the remaining shards and then the manifest; returns the manifest. */
    public Map<String, Object> commit() throws IOException {
        try {
            drain();
            for (var e : splits.entrySet()) flush(e.getKey(), e.getValue());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("datasetId", datasetId);
            m.put("schemaVersion", 1);
            m.put("kind", s.kind().datasetKind());
            m.put("seqLen", s.seqLen());
            m.put("tokenizerSha256", tokenizerSha256);
            m.put("bosId", s.bosId());
            m.put("eosId", s.eosId());
            m.put("padId", s.padId());
            if (s.sepId() >= 0) m.put("sepId", s.sepId());
            if (s.kind() == TaskKind.SEQ_CLS) {
                m.put("truncation", s.truncation().name().toLowerCase(Locale.ROOT));
                m.put("labelNames", labels.names());
                m.put("multilabel", labels.multilabel());
            }
            if (s.kind() == TaskKind.CAUSAL_LM) m.put("layout", notePerRow ? "note-per-row" : "packed");
            m.put("normalizer", s.normalizer().describe());
            m.put("counts", counts());
            if (givenLabelSet)
                m.put("outsideLabelSet", Map.of("rows", rowsOutsideLabelSet, "labels", labelsOutsideLabelSet));
            putSplit(m);
            m.put("shards", shards);
            m.putAll(extra);
            m.put("createdAt", Instant.now().toString());
            sink.commit(JSON.writeValueAsBytes(m));
            committed = true;
            return m;
        } finally {
            if (!committed) sink.abort();
        }
    }

    private Map<String, Object> counts() {
        Map<String, Object> counts = new LinkedHashMap<>();
        for (var e : splits.entrySet()) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("rows", e.getValue().totalRows);
            c.put("notes", e.getValue().notes);
            c.put("tokens", e.getValue().tokens);
            if (s.kind() == TaskKind.SEQ_CLS || notePerRow) c.put("truncated", e.getValue().truncated);
            counts.put(e.getKey(), c);
        }
        return counts;
    }

    /**
     * How the rows were split: by patient, or the recipe's own files — then also which ids the files shared and which
     * labels only validation or test held.
     */
    private void putSplit(Map<String, Object> m) {
        if (givenSplits != Boolean.TRUE) {
            m.put(
                    "split",
                    Map.of(
                            "by",
                            splitByRow ? "row" : "subject_id",
                            "seed",
                            s.seed(),
                            "validation",
                            s.validationFraction(),
                            "test",
                            s.testFraction()));
            return;
        }
        m.put("split", Map.of("by", "given"));
        m.put("idsInSeveralSplits", Map.of("rows", idsInSeveralSplits, "examples", idsInSeveralSplitsExamples));
        if (s.kind() == TaskKind.SEQ_CLS) {
            Map<String, Object> unseen = new LinkedHashMap<>();
            for (var e : unseenLabels.entrySet())
                unseen.put(e.getKey(), Map.of("rows", unseenLabelRows.get(e.getKey()), "labels", e.getValue()));
            m.put("unseenLabels", unseen);
        }
    }

    @Override
    public void close() {
        if (!committed) sink.abort();
        if (ownsTokenizer) tokenizer.close();
    }
}
