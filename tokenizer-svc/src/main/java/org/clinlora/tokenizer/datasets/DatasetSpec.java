package org.clinlora.tokenizer.datasets;

import java.util.List;
import java.util.Locale;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.NoteNormalizer;
import org.clinlora.model.train.PaperDefaults;
import org.clinlora.platform.api.ApiException;
import org.clinlora.platform.store.StoreLayout;

/**
 * What to build: from object-store files ({@code sources}, MIMIC-IV-Note or task CSV, gzip or plain) or from the notes
 * received on topic notes.raw for a {@code stream}, with the base model's tokenizer, as a causal-LM or classification
 * dataset. Absent fields take the defaults of {@link #withDefaults()}; the stored spec is always the completed one, so
 * a rebuild after a restart makes the same dataset.
 */
public record DatasetSpec(String datasetId, String model, String kind, String format, List<String> sources, String stream,
                          Integer seqLen, String truncation, Boolean normalize, List<String> labels, Boolean multilabel,
                          Double validationFraction, Double testFraction, Long seed, String onMalformed, Integer rowsPerShard) {
    public static final String CAUSAL_LM = TaskKind.CAUSAL_LM.datasetKind(), CLASSIFICATION = TaskKind.SEQ_CLS.datasetKind();
    public static final String MIMIC_NOTES = "mimic-notes", TASK = "task";
    static final int MAX_SOURCES = 16, MAX_LABELS = 10_000, MAX_SEQ_LEN = 32_768;

    /** Validates and fills defaults; a bad field is a 400 that names it. */
    public DatasetSpec withDefaults() {
        if (model == null || model.isBlank()) throw ApiException.invalid("model is required (a base model id in the object store)");
        name("model", model);
        if (datasetId != null) name("datasetId", datasetId);
        String k;
        try {
            k = TaskKind.parse(kind).datasetKind();
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("kind must be causal_lm or classification, got '" + kind + "'");
        }
        boolean fromStream = stream != null;
        boolean fromFiles = sources != null && !sources.isEmpty();
        if (fromStream == fromFiles) throw ApiException.invalid("give either sources (object-store keys) or stream (a notes.raw stream name), not both or neither");
        String f = null;
        if (fromFiles) {
            if (sources.size() > MAX_SOURCES) throw ApiException.invalid("at most " + MAX_SOURCES + " sources");
            for (String s : sources) key(s);
            f = format == null ? (CAUSAL_LM.equals(k) ? MIMIC_NOTES : TASK) : format.toLowerCase(Locale.ROOT);
            if (!MIMIC_NOTES.equals(f) && !TASK.equals(f)) throw ApiException.invalid("format must be mimic-notes or task, got '" + format + "'");
            if (CLASSIFICATION.equals(k) && MIMIC_NOTES.equals(f)) throw ApiException.invalid("a classification dataset needs a task file (id, text, label or labels), not MIMIC-IV-Note notes");
        } else {
            name("stream", stream);
        }
        int len = seqLen == null ? PaperDefaults.seqLen(TaskKind.parse(k)) : seqLen;
        if (len < 2 || len > MAX_SEQ_LEN) throw ApiException.invalid("seqLen must be between 2 and " + MAX_SEQ_LEN);
        String t;
        try {
            t = truncation == null ? "head" : NoteEncoding.Truncation.parse(truncation).name().toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(e.getMessage());
        }
        if (labels != null) {
            if (labels.isEmpty() || labels.size() > MAX_LABELS) throw ApiException.invalid("labels must hold 1 to " + MAX_LABELS + " names");
            if (labels.stream().anyMatch(l -> l == null || l.isBlank() || l.length() > 100)) throw ApiException.invalid("label names must be non-empty and at most 100 characters");
            if (labels.stream().distinct().count() != labels.size()) throw ApiException.invalid("label names must be distinct");
        }
        double val = validationFraction == null ? 0.1 : validationFraction, test = testFraction == null ? 0.1 : testFraction;
        if (!(val >= 0 && test >= 0 && val + test < 1)) throw ApiException.invalid("validationFraction and testFraction must be >= 0 with a sum below 1");
        String m = onMalformed == null ? "fail" : onMalformed.toLowerCase(Locale.ROOT);
        if (!m.equals("fail") && !m.equals("skip")) throw ApiException.invalid("onMalformed must be fail or skip, got '" + onMalformed + "'");
        int rows = rowsPerShard == null ? 4096 : rowsPerShard;
        if (rows < 1 || rows > 1_000_000) throw ApiException.invalid("rowsPerShard must be between 1 and 1000000");
        return new DatasetSpec(datasetId, model, k, f, fromFiles ? List.copyOf(sources) : null, stream, len, t,
                normalize == null || normalize, labels == null ? null : List.copyOf(labels), multilabel, val, test,
                seed == null ? 0L : seed, m, rows);
    }

    public DatasetSpec withId(String id) {
        return new DatasetSpec(id, model, kind, format, sources, stream, seqLen, truncation, normalize, labels, multilabel,
                validationFraction, testFraction, seed, onMalformed, rowsPerShard);
    }

    DatasetBuilder.Settings settings(int bosId, int eosId, int padId) {
        return new DatasetBuilder.Settings(TaskKind.parse(kind), seqLen, NoteEncoding.Truncation.parse(truncation),
                normalize ? NoteNormalizer.DEFAULT : NoteNormalizer.NONE, validationFraction, testFraction, seed, rowsPerShard,
                bosId, eosId, padId);
    }

    CsvReader.OnMalformed malformedPolicy() {
        return "skip".equals(onMalformed) ? CsvReader.OnMalformed.SKIP : CsvReader.OnMalformed.FAIL;
    }

    private static void name(String field, String value) {
        try {
            StoreLayout.requireName(value);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(field + ": " + e.getMessage());
        }
    }

    /** Source keys are plain object keys in the bucket: no absolute paths, no '..', no control characters. */
    private static void key(String key) {
        if (key == null || key.isBlank() || key.length() > 1024 || key.startsWith("/") || key.contains("..") || key.endsWith("/")
                || key.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw ApiException.invalid("sources must be object keys in the bucket (no leading '/', no '..', not a folder)");
        }
    }
}
