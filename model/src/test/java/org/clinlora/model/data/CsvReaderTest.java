package org.clinlora.model.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class CsvReaderTest {
    static List<CsvReader.Row> read(byte[] bytes, CsvReader.OnMalformed policy) throws IOException {
        List<CsvReader.Row> rows = new ArrayList<>();
        try (CsvReader r = CsvReader.of("test.csv", new ByteArrayInputStream(bytes), policy)) {
            r.forEachRemaining(rows::add);
        }
        return rows;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static final String NOTES = "\uFEFFnote_id,text\r\n"
            + "1,\"Chief Complaint:\nchest pain, \"\"crushing\"\"\n\nHPI: ___ yo\"\r\n"
            + "\n"
            + "2,plain text\n"
            + "3,\"\"\n";

    @Test
    void quotedMultiLineFieldsWithCommasAndDoubledQuotesAndTheirStartingLines() throws IOException {
        List<CsvReader.Row> rows = read(utf8(NOTES), CsvReader.OnMalformed.FAIL);
        assertEquals(3, rows.size());
        assertEquals(
                "Chief Complaint:\nchest pain, \"crushing\"\n\nHPI: ___ yo",
                rows.get(0).get("text"));
        assertEquals("1", rows.get(0).get("note_id"), "a byte-order mark does not corrupt the first column name");
        assertEquals(2, rows.get(0).line());
        assertEquals(7, rows.get(1).line(), "line numbers count the physical lines inside quoted fields");
        assertEquals("", rows.get(2).get("text"));
    }

    @Test
    void gzipIsDetectedFromTheMagicBytes() throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(utf8(NOTES));
        }
        assertEquals(3, read(bos.toByteArray(), CsvReader.OnMalformed.FAIL).size());
    }

    @Test
    void malformedRowsFailNamingTheLineOrAreSkippedAndCounted() throws IOException {
        String bad = "id,text\n1,ok\n2,too,many\n3,\"closed\"junk\n4,fine\n";
        var e = assertThrows(CsvReader.CsvException.class, () -> read(utf8(bad), CsvReader.OnMalformed.FAIL));
        assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("3 fields"), e.getMessage());
        try (CsvReader r = CsvReader.of("t", new ByteArrayInputStream(utf8(bad)), CsvReader.OnMalformed.SKIP)) {
            List<String> ids = new ArrayList<>();
            r.forEachRemaining(row -> ids.add(row.get("id")));
            assertEquals(List.of("1", "4"), ids);
            assertEquals(2, r.skipped());
        }
        var open = assertThrows(
                CsvReader.CsvException.class,
                () -> read(utf8("id,text\n1,\"never closed\n2,x\n"), CsvReader.OnMalformed.FAIL));
        assertTrue(
                open.getMessage().contains("line 2") && open.getMessage().contains("never closed"), open.getMessage());
    }

    @Test
    void invalidUtf8AndMissingColumnsAreClearErrors() throws IOException {
        byte[] broken = {'i', 'd', ',', 't', '\n', '1', ',', (byte) 0xC3, (byte) 0x28, '\n'};
        var e = assertThrows(CsvReader.CsvException.class, () -> read(broken, CsvReader.OnMalformed.FAIL));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
        try (CsvReader r = CsvReader.of("t", new ByteArrayInputStream(utf8("a,b\n")), CsvReader.OnMalformed.FAIL)) {
            var m = assertThrows(CsvReader.CsvException.class, () -> r.requireColumns(List.of("text")));
            assertTrue(m.getMessage().contains("missing column 'text'"));
        }
        assertThrows(CsvReader.CsvException.class, () -> read(new byte[0], CsvReader.OnMalformed.FAIL));
    }
}
