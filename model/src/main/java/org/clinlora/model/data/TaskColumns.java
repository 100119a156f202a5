package org.clinlora.model.data;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which columns of a task CSV hold the row id, the note text and the label(s), and how several labels share a cell.
 * Three named formats, each overridable column by column:
 *
 * <ul>
 *   <li>{@code clinlora}: {@code id, [subject_id,] text, label} or {@code labels} with ',' or ';' between codes;
 *   <li>{@code core} (van Aken et al. 2021, clinical-outcome-prediction): {@code id, text} and one of {@code labels}
 *       (diagnoses, procedures; comma-separated codes), {@code hospital_expire_flag} (mortality) or {@code los_label}
 *       (length of stay, four bins) — whichever the file has;
 *   <li>{@code beep} (prolonged mechanical ventilation): {@code id, text, label}.
 * </ul>
 *
 * A label column with a separator is multi-label; without one, each row has exactly one class.
 */
public record TaskColumns(
        String format, String idColumn, String textColumn, String labelColumn, String labelSeparator) {
    public static final String CLINLORA = "clinlora", CORE = "core", BEEP = "beep";
    public static final List<String> FORMATS = List.of(CLINLORA, CORE, BEEP);
    public static final TaskColumns DEFAULT = new TaskColumns(CLINLORA, null, null, null, null);

    /** A label column a format may use, and its separator (null: one class per row). */
    private record LabelColumn(String name, Pattern separator) {}

    private static final Pattern COMMA = Pattern.compile(","), COMMA_OR_SEMICOLON = Pattern.compile("[,;]");

    public TaskColumns {
        format = format == null ? CLINLORA : format.toLowerCase(Locale.ROOT);
        if (!FORMATS.contains(format))
            throw new IllegalArgumentException("format must be one of " + FORMATS + ", got '" + format + "'");
        if (labelSeparator != null && labelSeparator.isEmpty())
            throw new IllegalArgumentException("labelSeparator must not be empty");
        if (labelSeparator != null && labelColumn == null)
            throw new IllegalArgumentException("labelSeparator needs the labelColumn it applies to");
    }

    /** The columns as found in one file's header. */
    public record Resolved(String id, String text, String label, Pattern separator, String subject) {
        public boolean multilabel() {
            return separator != null;
        }

        /** The labels of one cell: one class, or the separated codes (blank ones dropped; none is allowed). */
        public List<String> labels(String cell) {
            if (separator == null) return List.of(cell.trim());
            return separator
                    .splitAsStream(cell)
                    .map(String::trim)
                    .filter(s -> !s.isEmpty())
                    .toList();
        }
    }

    /** Applies the format to a header; a missing column is an error that names the file, the column and the header. */
    public Resolved resolve(List<String> header, String source) {
        String id = idColumn != null ? idColumn : "id", text = textColumn != null ? textColumn : "text";
        for (String c : List.of(id, text)) require(header, c, source);
        LabelColumn label;
        if (labelColumn != null) {
            require(header, labelColumn, source);
            label = new LabelColumn(
                    labelColumn, labelSeparator == null ? null : Pattern.compile(Pattern.quote(labelSeparator)));
        } else {
            label = presetLabels().stream()
                    .filter(l -> header.contains(l.name()))
                    .findFirst()
                    .orElseThrow(() -> new CsvReader.CsvException(source + ": no label column for format " + format
                            + " (expected one of "
                            + presetLabels().stream().map(LabelColumn::name).toList() + "; header: " + header + ")"));
        }
        // A subject id is the project's own column; the recipes split patients once themselves and have none.
        String subject = format.equals(CLINLORA) && header.contains("subject_id") ? "subject_id" : null;
        return new Resolved(id, text, label.name(), label.separator(), subject);
    }

    private List<LabelColumn> presetLabels() {
        return switch (format) {
            case CORE ->
                List.of(
                        new LabelColumn("labels", COMMA),
                        new LabelColumn("hospital_expire_flag", null),
                        new LabelColumn("los_label", null));
            case BEEP -> List.of(new LabelColumn("label", null));
            default -> List.of(new LabelColumn("labels", COMMA_OR_SEMICOLON), new LabelColumn("label", null));
        };
    }

    private static void require(List<String> header, String column, String source) {
        if (!header.contains(column))
            throw new CsvReader.CsvException(source + ": missing column '" + column + "' (header: " + header + ")");
    }
}
