package org.clinlora.model.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvWriterTest {
    static final List<String> HEADER = List.of("id", "text", "label");

    /** Cells that need quoting, and ones that look like they might. */
    static final List<List<String>> ROWS = List.of(
            List.of("1", "Chief Complaint:\nchest pain, \"crushing\"\n\nHPI: ___ yo", "4019,V5861"),
            List.of("2", "carriage\rreturn alone and\r\nCRLF", ""),
            List.of("3", "  leading and trailing spaces  ", "#not a comment"),
            List.of("4", "naïve café — 日本語 \\ backslash", "-0.5"),
            List.of("5", "\"", ","));

    static List<List<String>> readBack(Path file) throws IOException {
        List<List<String>> rows = new ArrayList<>();
        try (CsvReader r = CsvReader.open(file, CsvReader.OnMalformed.FAIL)) {
            assertEquals(HEADER, r.header());
            r.forEachRemaining(row -> rows.add(List.copyOf(row.fields().values())));
        }
        return rows;
    }

    @Test
    void whatIsWrittenReadsBackCellForCellPlainOrGzipped(@TempDir Path dir) throws IOException {
        for (String name : List.of("t.csv", "t.csv.gz")) {
            Path file = dir.resolve(name);
            try (CsvWriter w = new CsvWriter(file, HEADER)) {
                for (List<String> row : ROWS) w.row(row);
                w.row(Arrays.asList("6", null, "null is an empty cell"));
            }
            List<List<String>> back = readBack(file);
            assertEquals(ROWS, back.subList(0, ROWS.size()), name);
            assertEquals(List.of("6", "", "null is an empty cell"), back.get(ROWS.size()), name);
        }
        byte[] gz = Files.readAllBytes(dir.resolve("t.csv.gz"));
        assertEquals(0x1f, gz[0] & 0xff, "a .gz name is gzip-compressed");
    }

    @Test
    void plainCellsStayUnquotedOneRowPerLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("roc.csv");
        try (CsvWriter w = new CsvWriter(file, List.of("label", "threshold", "fpr", "tpr"))) {
            w.row(List.of("mor", "0.731", "0.25", "1.0"));
            assertThrows(IllegalArgumentException.class, () -> w.row(List.of("too", "few")));
        }
        assertEquals("label,threshold,fpr,tpr\nmor,0.731,0.25,1.0\n", Files.readString(file));
    }
}
