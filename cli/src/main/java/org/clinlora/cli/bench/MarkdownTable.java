package org.clinlora.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;

/** A bench's result rows (one JSON object each) printed as the Markdown table the docs quote. */
final class MarkdownTable {
    /** One figure: its header, its {@code printf} format, the row's field and what the field is divided by. */
    record Column(String header, String format, String field, double divisor) {
        static Column of(String header, String format, String field) {
            return new Column(header, format, field, 1);
        }

        static Column megabytes(String header, String format, String field) {
            return new Column(header, format, field, 1e6);
        }

        String cell(JsonNode row) {
            JsonNode v = row.get(field);
            Object value = format.endsWith("d") ? (Object) v.asLong() : (Object) (v.asDouble() / divisor);
            return String.format(Locale.ROOT, format, value);
        }
    }

    private MarkdownTable() {}

    static void print(List<Column> columns, List<JsonNode> rows) {
        System.out.println();
        System.out.println(
                "| " + String.join(" | ", columns.stream().map(Column::header).toList()) + " |");
        System.out.println("|" + "---|".repeat(columns.size()));
        for (JsonNode r : rows)
            System.out.println("| "
                    + String.join(" | ", columns.stream().map(c -> c.cell(r)).toList()) + " |");
        System.out.println();
    }
}
