package org.clinlora.model.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The two input formats: MIMIC-IV-Note files ({@code discharge.csv.gz}, {@code radiology.csv.gz}) and outcome task
 * files (their columns as {@link TaskColumns} says: the project's own, CORe's or BEEP's). Both stream.
 */
public final class NoteFiles {
    public static final List<String> MIMIC_COLUMNS =
            List.of("note_id", "subject_id", "hadm_id", "note_type", "note_seq", "charttime", "storetime", "text");

    private NoteFiles() {}

    /** Calls {@code sink} for every note; returns how many malformed rows were skipped (SKIP policy). */
    public static long readMimicNotes(Path file, CsvReader.OnMalformed policy, Consumer<Note> sink) throws IOException {
        try (CsvReader r = CsvReader.open(file, policy)) {
            return readMimicNotes(r, policy, sink);
        }
    }

    /** The same from an open reader (an object-store stream, say); the caller closes it. */
    public static long readMimicNotes(CsvReader r, CsvReader.OnMalformed policy, Consumer<Note> sink)
            throws IOException {
        String file = r.source();
        r.requireColumns(MIMIC_COLUMNS);
        for (Iterator<CsvReader.Row> it = r; it.hasNext(); ) {
            CsvReader.Row row = it.next();
            int seq;
            try {
                seq = Integer.parseInt(row.get("note_seq").trim());
            } catch (NumberFormatException e) {
                if (policy == CsvReader.OnMalformed.FAIL)
                    throw new CsvReader.CsvException(file + ": line " + row.line() + ": note_seq is not a number");
                continue;
            }
            sink.accept(new Note(
                    row.get("note_id"),
                    row.get("subject_id"),
                    row.get("hadm_id"),
                    row.get("note_type"),
                    seq,
                    row.get("text")));
        }
        return r.skipped();
    }

    /**
     * Calls {@code sink} for every task example of a file in the project's own format ({@link TaskColumns#DEFAULT}).
     */
    public static long readTaskFile(Path file, CsvReader.OnMalformed policy, Consumer<TaskExample> sink)
            throws IOException {
        return readTaskFile(file, TaskColumns.DEFAULT, policy, sink);
    }

    public static long readTaskFile(
            Path file, TaskColumns columns, CsvReader.OnMalformed policy, Consumer<TaskExample> sink)
            throws IOException {
        try (CsvReader r = CsvReader.open(file, policy)) {
            return readTaskFile(r, columns, policy, sink);
        }
    }

    /** The same from an open reader, in the project's own format; the caller closes it. */
    public static long readTaskFile(CsvReader r, CsvReader.OnMalformed policy, Consumer<TaskExample> sink)
            throws IOException {
        return readTaskFile(r, TaskColumns.DEFAULT, policy, sink);
    }

    /**
     * Every label a task file uses, added to {@code into}; true when its label column is multi-label. The caller closes
     * the reader.
     */
    public static boolean readTaskLabels(
            CsvReader r, TaskColumns columns, CsvReader.OnMalformed policy, Set<String> into) throws IOException {
        boolean multilabel = columns.resolve(r.header(), r.source()).multilabel();
        readTaskFile(r, columns, policy, t -> into.addAll(t.labels()));
        return multilabel;
    }

    /**
     * Calls {@code sink} for every task example, its columns as {@code columns} says. A single-label cell must not be
     * empty; a multi-label cell may be (no code).
     */
    public static long readTaskFile(
            CsvReader r, TaskColumns columns, CsvReader.OnMalformed policy, Consumer<TaskExample> sink)
            throws IOException {
        String file = r.source();
        TaskColumns.Resolved c = columns.resolve(r.header(), file);
        for (Iterator<CsvReader.Row> it = r; it.hasNext(); ) {
            CsvReader.Row row = it.next();
            List<String> labels = c.labels(row.get(c.label()));
            if (!c.multilabel() && labels.get(0).isEmpty()) {
                if (policy == CsvReader.OnMalformed.FAIL)
                    throw new CsvReader.CsvException(file + ": line " + row.line() + ": empty label");
                continue;
            }
            if (row.get(c.id()).isBlank()) {
                if (policy == CsvReader.OnMalformed.FAIL)
                    throw new CsvReader.CsvException(file + ": line " + row.line() + ": empty id");
                continue;
            }
            sink.accept(new TaskExample(
                    row.get(c.id()), c.subject() == null ? null : row.get(c.subject()), row.get(c.text()), labels));
        }
        return r.skipped();
    }
}
