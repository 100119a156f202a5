package org.clinlora.model.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

/**
 * The two input formats: MIMIC-IV-Note files ({@code discharge.csv.gz}, {@code radiology.csv.gz}) and outcome task
 * files ({@code id, text, label} or {@code id, text, labels}, optionally {@code subject_id}). Both stream.
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
    public static long readMimicNotes(CsvReader r, CsvReader.OnMalformed policy, Consumer<Note> sink) throws IOException {
        String file = r.source();
        r.requireColumns(MIMIC_COLUMNS);
        for (Iterator<CsvReader.Row> it = r; it.hasNext(); ) {
            CsvReader.Row row = it.next();
            int seq;
            try {
                seq = Integer.parseInt(row.get("note_seq").trim());
            } catch (NumberFormatException e) {
                if (policy == CsvReader.OnMalformed.FAIL) throw new CsvReader.CsvException(file + ": line " + row.line() + ": note_seq is not a number");
                continue;
            }
            sink.accept(new Note(row.get("note_id"), row.get("subject_id"), row.get("hadm_id"), row.get("note_type"), seq, row.get("text")));
        }
        return r.skipped();
    }

    /**
     * Calls {@code sink} for every task example. A {@code label} column holds one class; a {@code labels} column
     * holds codes separated by commas or semicolons (empty: no code).
     */
    public static long readTaskFile(Path file, CsvReader.OnMalformed policy, Consumer<TaskExample> sink) throws IOException {
        try (CsvReader r = CsvReader.open(file, policy)) {
            return readTaskFile(r, policy, sink);
        }
    }

    /**
     * Every label a task file uses, added to {@code into}; true when its labels column is the multi-label
     * {@code labels}. The caller closes the reader.
     */
    public static boolean readTaskLabels(CsvReader r, CsvReader.OnMalformed policy, java.util.Set<String> into) throws IOException {
        boolean multilabel = r.header().contains("labels");
        readTaskFile(r, policy, t -> into.addAll(t.labels()));
        return multilabel;
    }

    /** The same from an open reader; the caller closes it. */
    public static long readTaskFile(CsvReader r, CsvReader.OnMalformed policy, Consumer<TaskExample> sink) throws IOException {
        String file = r.source();
        r.requireColumns(List.of("id", "text"));
        boolean multi = r.header().contains("labels");
        if (!multi && !r.header().contains("label")) throw new CsvReader.CsvException(file + ": needs a 'label' or 'labels' column");
        boolean hasSubject = r.header().contains("subject_id");
        for (Iterator<CsvReader.Row> it = r; it.hasNext(); ) {
            CsvReader.Row row = it.next();
            List<String> labels = multi
                    ? Arrays.stream(row.get("labels").split("[,;]")).map(String::trim).filter(s -> !s.isEmpty()).toList()
                    : List.of(row.get("label").trim());
            if (!multi && labels.get(0).isEmpty()) {
                if (policy == CsvReader.OnMalformed.FAIL) throw new CsvReader.CsvException(file + ": line " + row.line() + ": empty label");
                continue;
            }
            sink.accept(new TaskExample(row.get("id"), hasSubject ? row.get("subject_id") : null, row.get("text"), labels));
        }
        return r.skipped();
    }
}
