package org.clinlora.tokenizer.datasets;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Locale;
import org.clinlora.model.base.SpecialIds;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.data.TaskColumns;
import org.clinlora.model.data.TaskSource;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.NoteNormalizer;
import org.clinlora.model.train.PaperDefaults;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.store.StoreLayout;

/**
 * What to build: from object-store files ({@code sources}, MIMIC-IV-Note or task CSV, gzip or plain, split by patient),
 * from a task's own train/validation/test files ({@code splits}, used as they are — the CORe and BEEP recipes' files),
 * or from the notes received on topic notes.raw for a {@code stream}, with the base model's tokenizer, as a causal-LM
 * or classification dataset. A task file's columns are the {@code format}'s ({@code task}: the project's own;
 * {@code core}; {@code beep}; {@link TaskColumns}), each overridable in {@code columns}. Absent fields take the
 * defaults of {@link #withDefaults()}; the stored spec is always the completed one, so a rebuild after a restart makes
 * the same dataset.
 */
public record DatasetSpec(
        String datasetId,
        String model,
        String kind,
        String format,
        List<String> sources,
        Splits splits,
        String stream,
        Columns columns,
        Integer seqLen,
        String truncation,
        Boolean normalize,
        List<String> labels,
        Boolean multilabel,
        Double validationFraction,
        Double testFraction,
        Long seed,
        String onMalformed,
        Integer rowsPerShard) {
    public static final String CAUSAL_LM = TaskKind.CAUSAL_LM.datasetKind(),
            CLASSIFICATION = TaskKind.SEQ_CLS.datasetKind();
    public static final String MIMIC_NOTES = "mimic-notes", TASK = "task";
    /** The formats of task files: the project's own and the two recipes'. */
    static final List<String> TASK_FORMATS = List.of(TASK, TaskColumns.CORE, TaskColumns.BEEP);

    /** A task's given splits: object keys of its train, validation and test files. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Splits(String train, String validation, String test) {}

    /** Column overrides of the task format. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Columns(String idColumn, String textColumn, String labelColumn, String labelSeparator) {}

    static final int MAX_SOURCES = 16, MAX_LABELS = 10_000, MAX_SEQ_LEN = 32_768;

    /** Validates and fills defaults; a bad field is a 400 that names it (checked in the order of the fields). */
    public DatasetSpec withDefaults() {
        if (model == null || model.isBlank())
            throw new InvalidRequest("model is required (a base model id in the object store)");
        name("model", model);
        if (datasetId != null) name("datasetId", datasetId);
        String k = checkedKind();
        boolean fromFiles = sources != null && !sources.isEmpty();
        boolean given = splits != null;
        if ((stream != null ? 1 : 0) + (fromFiles ? 1 : 0) + (given ? 1 : 0) != 1) {
            throw new InvalidRequest(
                    "give one of sources (object-store keys), splits (train, validation and test keys) or stream (a notes.raw stream name)");
        }
        if (fromFiles) checkSources();
        String f = fromFiles || given ? checkedFormat(k, fromFiles) : null;
        if (f == null) name("stream", stream);
        if (given) checkSplits(k);
        if (columns != null) checkColumns(f);
        int len = seqLen == null ? PaperDefaults.seqLen(TaskKind.parse(k)) : seqLen;
        if (len < 2 || len > MAX_SEQ_LEN) throw new InvalidRequest("seqLen must be between 2 and " + MAX_SEQ_LEN);
        String t = checkedTruncation();
        if (labels != null) checkLabels();
        // Given splits ignore the fractions (they are not stored); the defaults only pass the check.
        double val = validationFraction == null || given ? 0.1 : validationFraction;
        double test = testFraction == null || given ? 0.1 : testFraction;
        if (!(val >= 0 && test >= 0 && val + test < 1))
            throw new InvalidRequest("validationFraction and testFraction must be >= 0 with a sum below 1");
        String m = checkedOnMalformed();
        int rows = rowsPerShard == null ? 4096 : rowsPerShard;
        if (rows < 1 || rows > 1_000_000) throw new InvalidRequest("rowsPerShard must be between 1 and 1000000");
        return new DatasetSpec(
                datasetId,
                model,
                k,
                f,
                fromFiles ? List.copyOf(sources) : null,
                splits,
                stream,
                columns,
                len,
                t,
                normalize == null || normalize,
                labels == null ? null : List.copyOf(labels),
                multilabel,
                given ? null : val,
                given ? null : test,
                seed == null ? 0L : seed,
                m,
                rows);
    }

    private String checkedKind() {
        try {
            return TaskKind.parse(kind).datasetKind();
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest("kind must be causal_lm or classification, got '" + kind + "'");
        }
    }

    private void checkSources() {
        if (sources.size() > MAX_SOURCES) throw new InvalidRequest("at most " + MAX_SOURCES + " sources");
        for (String s : sources) key(s);
    }

    /** The files' format: the request's, else MIMIC-IV-Note notes for a causal LM's sources, else task files. */
    private String checkedFormat(String k, boolean fromFiles) {
        String f = format == null
                ? (CAUSAL_LM.equals(k) && fromFiles ? MIMIC_NOTES : TASK)
                : format.toLowerCase(Locale.ROOT);
        if (!MIMIC_NOTES.equals(f) && !TASK_FORMATS.contains(f))
            throw new InvalidRequest("format must be mimic-notes, task, core or beep, got '" + format + "'");
        if (CLASSIFICATION.equals(k) && MIMIC_NOTES.equals(f))
            throw new InvalidRequest(
                    "a classification dataset needs a task file (id, text, label or labels), not MIMIC-IV-Note notes");
        return f;
    }

    private void checkSplits(String k) {
        if (!CLASSIFICATION.equals(k))
            throw new InvalidRequest(
                    "splits are for classification datasets (a task's train, validation and test files)");
        if (splits.train() == null || splits.validation() == null || splits.test() == null)
            throw new InvalidRequest("splits needs train, validation and test keys");
        for (String s : List.of(splits.train(), splits.validation(), splits.test())) key(s);
        if (validationFraction != null || testFraction != null)
            throw new InvalidRequest("splits are given: validationFraction and testFraction do not apply");
    }

    private void checkColumns(String f) {
        if (f == null || MIMIC_NOTES.equals(f))
            throw new InvalidRequest("columns apply to task files (format task, core or beep)");
        try {
            taskColumns(f, columns);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest("columns: " + e.getMessage());
        }
    }

    private String checkedTruncation() {
        if (truncation == null) return "head";
        try {
            return NoteEncoding.Truncation.parse(truncation).name().toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest(e.getMessage());
        }
    }

    private void checkLabels() {
        if (labels.isEmpty() || labels.size() > MAX_LABELS)
            throw new InvalidRequest("labels must hold 1 to " + MAX_LABELS + " names");
        if (labels.stream().anyMatch(l -> l == null || l.isBlank() || l.length() > 100))
            throw new InvalidRequest("label names must be non-empty and at most 100 characters");
        if (labels.stream().distinct().count() != labels.size())
            throw new InvalidRequest("label names must be distinct");
    }

    private String checkedOnMalformed() {
        String m = onMalformed == null ? "fail" : onMalformed.toLowerCase(Locale.ROOT);
        if (!m.equals("fail") && !m.equals("skip"))
            throw new InvalidRequest("onMalformed must be fail or skip, got '" + onMalformed + "'");
        return m;
    }

    public DatasetSpec withId(String id) {
        return new DatasetSpec(
                id,
                model,
                kind,
                format,
                sources,
                splits,
                stream,
                columns,
                seqLen,
                truncation,
                normalize,
                labels,
                multilabel,
                validationFraction,
                testFraction,
                seed,
                onMalformed,
                rowsPerShard);
    }

    /** The same spec reading the given object keys (an upload's stored copy) instead of its sources. */
    public DatasetSpec withSources(List<String> keys) {
        return new DatasetSpec(
                datasetId,
                model,
                kind,
                format,
                keys,
                splits,
                stream,
                columns,
                seqLen,
                truncation,
                normalize,
                labels,
                multilabel,
                validationFraction,
                testFraction,
                seed,
                onMalformed,
                rowsPerShard);
    }

    /** The task files' columns: the format's, with the request's overrides. */
    TaskColumns taskColumns() {
        return taskColumns(format, columns);
    }

    /** The given splits as the model library reads them (null without splits). */
    TaskSource givenSplits() {
        if (splits == null) return null;
        TaskColumns c = taskColumns();
        return new TaskSource(
                null,
                splits.train(),
                splits.validation(),
                splits.test(),
                c.format(),
                c.idColumn(),
                c.textColumn(),
                c.labelColumn(),
                c.labelSeparator());
    }

    private static TaskColumns taskColumns(String format, Columns c) {
        Columns x = c == null ? new Columns(null, null, null, null) : c;
        return new TaskColumns(
                TASK.equals(format) ? TaskColumns.CLINLORA : format,
                x.idColumn(),
                x.textColumn(),
                x.labelColumn(),
                x.labelSeparator());
    }

    DatasetBuilder.Settings settings(SpecialIds ids) {
        // Given splits ignore the fractions; the builder still wants valid ones.
        return new DatasetBuilder.Settings(
                TaskKind.parse(kind),
                seqLen,
                NoteEncoding.Truncation.parse(truncation),
                normalize ? NoteNormalizer.DEFAULT : NoteNormalizer.NONE,
                splits != null ? 0.1 : validationFraction,
                splits != null ? 0.1 : testFraction,
                seed,
                rowsPerShard,
                ids);
    }

    CsvReader.OnMalformed malformedPolicy() {
        return "skip".equals(onMalformed) ? CsvReader.OnMalformed.SKIP : CsvReader.OnMalformed.FAIL;
    }

    private static void name(String field, String value) {
        try {
            StoreLayout.requireName(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest(field + ": " + e.getMessage());
        }
    }

    /** Source keys are plain object keys in the bucket: no absolute paths, no '..', no control characters. */
    private static void key(String key) {
        if (key == null
                || key.isBlank()
                || key.length() > 1024
                || key.startsWith("/")
                || key.contains("..")
                || key.endsWith("/")
                || key.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new InvalidRequest(
                    "sources must be object keys in the bucket (no leading '/', no '..', not a folder)");
        }
    }
}
