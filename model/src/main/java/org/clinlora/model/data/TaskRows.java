package org.clinlora.model.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A task's rows into a classification dataset build, as its {@link TaskSource} says: the label space first — from the
 * training file when the splits are given (labels seen only in validation or test are then counted by the builder, not
 * added), from the whole file otherwise — then every row, to its given split or split by patient.
 */
public final class TaskRows {
    /** Opens a named source (a local path, an object key) as CSV. */
    public interface Opener {
        CsvReader open(String name, CsvReader.OnMalformed policy) throws IOException;
    }

    private TaskRows() {}

    /** Opens local files. */
    public static Opener files() {
        return (name, policy) -> CsvReader.open(Path.of(name), policy);
    }

    /**
     * The label names in the stable order ({@link DatasetBuilder.LabelSpace#sorted}) and whether rows may have several.
     */
    public static DatasetBuilder.LabelSpace labels(TaskSource src, Opener open, CsvReader.OnMalformed policy)
            throws IOException {
        String from = src.givenSplits() ? src.train() : src.file();
        Set<String> seen = new LinkedHashSet<>();
        boolean multilabel;
        try (CsvReader r = open.open(from, policy)) {
            multilabel = NoteFiles.readTaskLabels(r, src.columns(), policy, seen);
        }
        if (seen.isEmpty()) throw new IllegalArgumentException(from + ": no labels");
        return new DatasetBuilder.LabelSpace(DatasetBuilder.LabelSpace.sorted(seen), multilabel);
    }

    /** Adds every row of the source to the build; returns the malformed rows skipped (SKIP policy). */
    public static long addAll(TaskSource src, Opener open, CsvReader.OnMalformed policy, DatasetBuilder b)
            throws IOException {
        return addAll(src, open, policy, b, t -> {});
    }

    /** The same, telling {@code added} of every row once it is in the build (a build's progress, say). */
    public static long addAll(
            TaskSource src, Opener open, CsvReader.OnMalformed policy, DatasetBuilder b, Consumer<TaskExample> added)
            throws IOException {
        long skipped = 0;
        try {
            if (!src.givenSplits()) {
                try (CsvReader r = open.open(src.file(), policy)) {
                    skipped += NoteFiles.readTaskFile(r, src.columns(), policy, t -> add(b, null, t, added));
                }
            } else {
                for (Map.Entry<String, String> split : src.splitFiles().entrySet()) {
                    try (CsvReader r = open.open(split.getValue(), policy)) {
                        skipped +=
                                NoteFiles.readTaskFile(r, src.columns(), policy, t -> add(b, split.getKey(), t, added));
                    }
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        b.note("taskSource", src);
        return skipped;
    }

    private static void add(DatasetBuilder b, String split, TaskExample t, Consumer<TaskExample> added) {
        try {
            if (split == null) b.add(t.id(), t.subjectId(), t.text(), t.labels());
            else b.addTo(split, t.id(), t.text(), t.labels());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        added.accept(t);
    }
}
