package org.clinlora.model.data;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.clinlora.model.fuzz.Refusals;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile note files, plain or gzipped, read as a dataset is built from them: MIMIC-IV-Note notes and task rows, under
 * both malformed-row policies. A file either reads (rows, skipped rows counted) or is refused with a CsvException
 * naming the line; a corrupt gzip stream or undecodable text is a refusal too, never another exception.
 */
class NotesCsvFuzzTest {
    private static final String MIMIC = String.join(",", NoteFiles.MIMIC_COLUMNS) + "\n"
            + "10-DS-1,10,20,DS,1,2180-01-01 00:00:00,2180-01-01 01:00:00,\"Chief Complaint: chest pain,\n"
            + "\"\"quoted\"\" and a second line\"\n"
            + "10-DS-2,10,21,DS,2,2180-02-01 00:00:00,,No acute distress.\r\n";
    private static final String TASK = "id,subject_id,text,label\n1,10,\"Fever, cough.\",yes\n2,11,Stable.,no\n";

    static Stream<byte[]> seeds() throws IOException {
        return Stream.of(utf8(MIMIC), gzip(utf8(MIMIC)), utf8(TASK), gzip(utf8(TASK)));
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "5s")
    void noteFile(byte[] data) throws IOException {
        for (CsvReader.OnMalformed policy : CsvReader.OnMalformed.values()) {
            try (CsvReader r = CsvReader.of("fuzz.csv", new ByteArrayInputStream(data), policy)) {
                NoteFiles.readMimicNotes(r, policy, note -> {});
            } catch (IllegalArgumentException e) {
                Refusals.requireClear(e);
            }
            try (CsvReader r = CsvReader.of("fuzz.csv", new ByteArrayInputStream(data), policy)) {
                NoteFiles.readTaskFile(r, policy, example -> {});
            } catch (IllegalArgumentException e) {
                Refusals.requireClear(e);
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        }
        return out.toByteArray();
    }
}
