package org.clinlora.model.data;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Where a task's rows come from: one file that the project splits by patient ({@code file}), or the {@code train} /
 * {@code validation} / {@code test} files the data came with (the CORe and BEEP recipes), used as they are; and which
 * columns hold what ({@link TaskColumns}: {@code format} {@code clinlora}, {@code core} or {@code beep}, overridable
 * column by column). In JSON a bare string is the one-file form.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskSource(
        String file,
        String train,
        String validation,
        String test,
        String format,
        String idColumn,
        String textColumn,
        String labelColumn,
        String labelSeparator) {

    @JsonCreator
    public TaskSource {
        boolean given = train != null || validation != null || test != null;
        if (given == (file != null))
            throw new IllegalArgumentException("give a task either one file or its train, validation and test files");
        if (given && (train == null || validation == null || test == null))
            throw new IllegalArgumentException("given splits need all of train, validation and test");
        new TaskColumns(format, idColumn, textColumn, labelColumn, labelSeparator); // the columns' own checks
    }

    /** The one-file form, split by patient, in the project's own columns. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static TaskSource of(String file) {
        return new TaskSource(file, null, null, null, null, null, null, null, null);
    }

    public boolean givenSplits() {
        return train != null;
    }

    public TaskColumns columns() {
        return new TaskColumns(format, idColumn, textColumn, labelColumn, labelSeparator);
    }

    /** Split name → file: the given splits, in order. */
    public Map<String, String> splitFiles() {
        Map<String, String> m = new LinkedHashMap<>();
        if (!givenSplits()) return m;
        m.put("train", train);
        m.put("validation", validation);
        m.put("test", test);
        return m;
    }

    /** The same source with every file name mapped (paths resolved against a folder, say). */
    public TaskSource mapFiles(UnaryOperator<String> f) {
        return new TaskSource(
                file == null ? null : f.apply(file),
                train == null ? null : f.apply(train),
                validation == null ? null : f.apply(validation),
                test == null ? null : f.apply(test),
                format,
                idColumn,
                textColumn,
                labelColumn,
                labelSeparator);
    }
}
