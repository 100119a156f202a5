package org.clinlora.model.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
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
    void lineNumbersStayExactThroughLongNotesWithWindowsLineBreaks() throws IOException {
        // Notes of 20,000 CR LF lines, shifted so that some CR lands at the end of one of the parser's buffers.
        for (int shift = 0; shift < 8; shift++) {
            String note = "x".repeat(shift) + "abcdefg\r\n".repeat(20_000);
            List<CsvReader.Row> rows =
                    read(utf8("id,text\r\n1,\"" + note + "\"\r\n2,ok\r\n"), CsvReader.OnMalformed.FAIL);
            assertEquals(note, rows.get(0).get("text"));
            assertEquals(20_003, rows.get(1).line(), "shift " + shift);
        }
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
        var quote = assertThrows(
                CsvReader.CsvException.class,
                () -> read(utf8(bad.replace("2,too,many\n", "")), CsvReader.OnMalformed.FAIL));
        assertEquals("test.csv: line 3, column 11: unexpected character after a closing quote", quote.getMessage());
    }

    /** A stray quote inside a multi-line note, the way a hand-edited export breaks. */
    static final String BROKEN_NOTE = "note_id,text\n"
            + "1,\"fine\"\n"
            + "2,\"Patient Jane Roe, MRN 4417\nreports \"crushing\" chest pain\nseen by Dr. Moss\"\n"
            + "3,ok\n";

    @Test
    void aBrokenQuoteInAMultiLineNoteIsNamedByFileLineAndColumnNeverByItsText() throws IOException {
        CsvReader.CsvException e;
        try (CsvReader r = CsvReader.of(
                "discharge.csv", new ByteArrayInputStream(utf8(BROKEN_NOTE)), CsvReader.OnMalformed.FAIL)) {
            e = assertThrows(CsvReader.CsvException.class, () -> r.forEachRemaining(row -> {}));
        }
        assertEquals(
                "discharge.csv: line 4, column 10: unexpected character after a closing quote"
                        + " (in the record starting on line 3)",
                e.getMessage());
        for (String phi : List.of("Jane", "Roe", "4417", "reports", "crushing", "chest", "Moss", "'c'"))
            assertFalse(e.getMessage().contains(phi), phi + " leaked into: " + e.getMessage());
        assertNull(e.getCause(), "no parser exception (whose message quotes the text) rides along");
        try (CsvReader r = CsvReader.of("t", new ByteArrayInputStream(utf8(BROKEN_NOTE)), CsvReader.OnMalformed.SKIP)) {
            List<CsvReader.Row> rows = new ArrayList<>();
            r.forEachRemaining(rows::add);
            assertEquals(
                    List.of("1", "3"),
                    rows.stream().map(row -> row.get("note_id")).toList());
            assertEquals(6, rows.get(1).line(), "the read goes on with the next whole record, its line right");
            assertEquals(2, r.skipped(), "the broken note, then its tail line (one field) are skipped");
        }
    }

    @Test
    void aFieldThatNeverEndsFailsTheReadEvenWhenSkippingSinceNoRecordBoundaryHoldsAfterIt() throws IOException {
        InputStream endless = new SequenceInputStream(Collections.enumeration(List.of(
                new ByteArrayInputStream(utf8("id,text\n1,\"")),
                new ByteArrayInputStream(new byte[17 * 1024 * 1024]),
                new ByteArrayInputStream(utf8("\"\n2,x\n")))));
        try (CsvReader r = CsvReader.of("big.csv", endless, CsvReader.OnMalformed.SKIP)) {
            var e = assertThrows(CsvReader.CsvException.class, r::hasNext);
            assertEquals("big.csv: line 2: field longer than 16777216 characters", e.getMessage());
        }
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
