package org.clinlora.model.data;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Gzipped note files that are corrupt or cut short, which the fuzz test (NotesCsvFuzzTest) found escaping as an
 * UncheckedIOException (a dataset build failed as "internal error (ZipException)"): each is now a CsvException naming
 * the file and the line, as a malformed record is, and quoting none of its text.
 */
class CorruptGzipTest {
    private static final String NOTE = "Chief Complaint: chest pain, pt name Jane";
    private static final byte[] NOTES = gzip(("note_id,subject_id,hadm_id,note_type,note_seq,charttime,storetime,text\n"
                    + "1,10,20,DS,1,2180-01-01,2180-01-01,\"" + NOTE + "\"\n")
            .getBytes(StandardCharsets.UTF_8));

    /** The fuzzer's input, as it found it: a gzipped MIMIC file whose trailer (CRC, length) is corrupt. */
    @Test
    void aCorruptTrailerIsRefusedWithTheLine() {
        byte[] found = Base64.getDecoder()
                .decode("H4sIAAAAAAAA/1WNMQ6DMAxFd6TewcpsqiRTxQpzFw5QpYkrUkECxEjt7ZtQFqQv+f3v4YXI9PAO0/Z8k+WCg3FTua"
                        + "G8+DvTnxItaAezMvuJMHFcaSemD1dK1l1fK1QStcSuR4Va3WQtVQ5I2ew5berYRDt4ekEbic9M0SlJrSjRyUlMSs3h"
                        + "MtQxNNBRckstSy3SUUjOL02uVUWrD4U+afEewdiNCZxPvFJK10v1A+zvdWT6AAAA");
        assertTrue(refused(found).contains("gzip data is corrupt or truncated (around line"));
    }

    @Test
    void aStreamCutShortIsRefused() {
        String why = refused(Arrays.copyOf(NOTES, NOTES.length - 12));
        assertTrue(why.contains("gzip data is corrupt or truncated"), why);
        assertTrue(!why.contains("Jane"), "the note's text is never quoted");
    }

    @Test
    void aHeaderWithAnUnknownCompressionMethodIsRefused() {
        byte[] bad = NOTES.clone();
        bad[2] = 7; // the method byte: 8 is deflate
        assertTrue(refused(bad).contains("gzip data is corrupt or truncated (in its header)"));
    }

    private static String refused(byte[] file) {
        return assertThrows(CsvReader.CsvException.class, () -> {
                    try (CsvReader r =
                            CsvReader.of("notes.csv.gz", new ByteArrayInputStream(file), CsvReader.OnMalformed.SKIP)) {
                        NoteFiles.readMimicNotes(r, CsvReader.OnMalformed.SKIP, n -> {});
                    }
                })
                .getMessage();
    }

    private static byte[] gzip(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }
}
