package org.clinlora.model.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.model.text.NoteNormalizer;

/**
 * Token datasets as docs/DATASETS.md lays them out: safetensors shards with {@code input_ids} I32 [N, L], {@code lengths}
 * I32 [N] and, for tasks, {@code labels} (I64 [N] multiclass, F32 [N, C] multi-hot), plus {@code manifest.json}
 * (tokenizer sha256, seq len, counts, label names, per-shard sha256), written last.
 *
 * <ul>
 *   <li>causal-LM: each note as {@code <s> … </s>}, concatenated and cut into full rows of {@code seqLen}; the
 *       incomplete tail of each split is dropped, so no row is padded;</li>
 *   <li>classification: one row per note, {@code <s>} first, truncated (head, tail or head+tail) or right-padded with
 *       the pad id to {@code seqLen}.</li>
 * </ul>
 * Rows go to train / validation / test by patient ({@code subject_id}, else the row id), seeded, so no patient's notes
 * straddle two splits.
 */
public final class DatasetBuilder implements AutoCloseable {
    public static final String MANIFEST = "manifest.json";
    public static final List<String> SPLITS = List.of("train", "validation", "test");

    public record Settings(TaskKind kind, int seqLen, NoteEncoding.Truncation truncation, NoteNormalizer normalizer,
                           double validationFraction, double testFraction, long seed, int rowsPerShard,
                           int bosId, int eosId, int padId) {
        public Settings {
            if (seqLen < 2) throw new IllegalArgumentException("seq len must be at least 2");
            if (validationFraction < 0 || testFraction < 0 || validationFraction + testFraction >= 1) {
                throw new IllegalArgumentException("validation + test fractions must be in [0, 1)");
            }
            if (rowsPerShard < 1) throw new IllegalArgumentException("rows per shard must be positive");
        }

        /** How a classification note becomes its row (the rule the scorer applies too). */
        public NoteEncoding encoding() {
            return new NoteEncoding(normalizer, truncation, seqLen, bosId, padId);
        }
    }

    /** A task's labels: names in their stable order, and whether a row may have several. */
    public record LabelSpace(List<String> names, boolean multilabel) {
        /** Labels found in the data in a stable order: class indices ("0".."3") numerically, anything else, ICD-9 codes included ("0389" before "486"), as strings. */
        public static List<String> sorted(java.util.Collection<String> labels) {
            boolean indices = labels.stream().allMatch(l -> l.matches("0|[1-9]\\d{0,17}"));
            return labels.stream().distinct().sorted(indices ? java.util.Comparator.comparingLong(Long::parseLong) : java.util.Comparator.naturalOrder()).toList();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String datasetId;
    private final Settings s;
    private final NoteEncoding encoding;
    private final LabelSpace labels;
    private final ClinicalTokenizer tokenizer;
    private final String tokenizerSha256;
    private final DatasetSink sink;
    private final Map<String, Split> splits = new LinkedHashMap<>();
    private final List<Map<String, Object>> shards = new ArrayList<>();
    private final Map<String, Object> extra = new LinkedHashMap<>();
    private boolean committed;

    /** One split's pending rows (and, for causal LM, the token stream not yet cut into rows). */
    private static final class Split {
        final List<int[]> rows = new ArrayList<>();
        final List<Integer> lengths = new ArrayList<>();
        final List<List<String>> rowLabels = new ArrayList<>();
        final List<Integer> stream = new ArrayList<>();
        long totalRows, notes, tokens, truncated;
    }

    public DatasetBuilder(String datasetId, Settings settings, LabelSpace labels, Path tokenizerJson, DatasetSink sink) throws IOException {
        if (settings.kind() == TaskKind.SEQ_CLS && (labels == null || labels.names().isEmpty())) {
            throw new IllegalArgumentException("a classification dataset needs its label names");
        }
        this.datasetId = datasetId;
        this.s = settings;
        this.encoding = settings.encoding();
        this.labels = labels;
        this.tokenizer = ClinicalTokenizer.load(tokenizerJson);
        this.tokenizerSha256 = Sha256.of(Files.isDirectory(tokenizerJson) ? tokenizerJson.resolve("tokenizer.json") : tokenizerJson);
        this.sink = sink;
        for (String split : SPLITS) splits.put(split, new Split());
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

    /** Adds one note (causal LM) or one labelled example (classification; labels must be in the label space). */
    public void add(String id, String patient, String text, List<String> rowLabels) throws IOException {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("row " + id + ": empty text");
        String split = splitOf(patient == null ? id : patient);
        Split sp = splits.get(split);
        sp.notes++;
        if (s.kind() == TaskKind.CAUSAL_LM) {
            long[] ids = tokenizer.encode(s.normalizer().normalize(text), false);
            sp.stream.add(s.bosId());
            for (long t : ids) sp.stream.add((int) t);
            sp.stream.add(s.eosId());
            while (sp.stream.size() >= s.seqLen()) {
                int[] row = new int[s.seqLen()];
                for (int i = 0; i < row.length; i++) row[i] = sp.stream.get(i);
                sp.stream.subList(0, s.seqLen()).clear();
                pending(split, sp, row, s.seqLen(), null);
            }
            sp.tokens += ids.length;
        } else {
            for (String l : rowLabels) {
                if (!labels.names().contains(l)) throw new IllegalArgumentException("row " + id + ": unknown label '" + l + "'");
            }
            if (!labels.multilabel() && rowLabels.size() != 1) throw new IllegalArgumentException("row " + id + ": needs exactly one label");
            NoteEncoding.Encoded note = encoding.encode(tokenizer, text);
            int[] row = new int[s.seqLen()];
            java.util.Arrays.fill(row, s.padId());
            for (int i = 0; i < note.ids().length; i++) row[i] = (int) note.ids()[i];
            if (note.truncated()) sp.truncated++;
            pending(split, sp, row, note.ids().length, rowLabels);
            sp.tokens += note.noteTokens();
        }
    }

    private void pending(String split, Split sp, int[] row, int length, List<String> rowLabels) throws IOException {
        sp.rows.add(row);
        sp.lengths.add(length);
        sp.rowLabels.add(rowLabels);
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
                for (int i = 0; i < n; i++) for (String l : sp.rowLabels.get(i)) hot[i * c + labels.names().indexOf(l)] = 1f;
                t.put("labels", SafeTensors.Tensor.f32(new long[] {n, c}, hot));
            } else {
                long[] idx = new long[n];
                for (int i = 0; i < n; i++) idx[i] = labels.names().indexOf(sp.rowLabels.get(i).get(0));
                t.put("labels", SafeTensors.Tensor.i64(new long[] {n}, idx));
            }
        }
        Path tmp = Files.createTempFile("clinlora-shard", ".safetensors");
        try {
            SafeTensors.write(tmp, t, Map.of("dataset", datasetId, "split", split));
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
    }

    /** Writes the remaining shards and then the manifest; returns the manifest. */
    public Map<String, Object> commit() throws IOException {
        try {
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
            if (s.kind() == TaskKind.SEQ_CLS) {
                m.put("truncation", s.truncation().name().toLowerCase(Locale.ROOT));
                m.put("labelNames", labels.names());
                m.put("multilabel", labels.multilabel());
            }
            m.put("normalizer", s.normalizer().describe());
            Map<String, Object> counts = new LinkedHashMap<>();
            for (var e : splits.entrySet()) {
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("rows", e.getValue().totalRows);
                c.put("notes", e.getValue().notes);
                c.put("tokens", e.getValue().tokens);
                if (s.kind() == TaskKind.SEQ_CLS) c.put("truncated", e.getValue().truncated);
                counts.put(e.getKey(), c);
            }
            m.put("counts", counts);
            m.put("split", Map.of("by", "subject_id", "seed", s.seed(), "validation", s.validationFraction(), "test", s.testFraction()));
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

    @Override
    public void close() {
        if (!committed) sink.abort();
        tokenizer.close();
    }
}
