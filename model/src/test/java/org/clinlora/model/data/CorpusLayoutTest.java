package org.clinlora.model.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.BpeTokenizerBuilder;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.model.text.NoteNormalizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dataset layouts the paper's code used, beside this project's: one note per causal-LM row (truncated, padded)
 * instead of packed rows, a hold-out by row instead of by patient, and a given label list whose outsiders are dropped
 * and counted instead of refused.
 */
class CorpusLayoutTest {
    @TempDir
    static Path dir;

    static Path model;

    /** Short notes and long ones, so that some fit a row and some are cut. */
    static final List<String> NOTES = List.of(
            "Chief Complaint: fever",
            "Chief Complaint: " + "chest pain and fever ".repeat(20) + "END",
            "Discharge diagnosis: pneumonia.\nFollow up in two weeks.",
            "Radiology: " + "no acute cardiopulmonary process ".repeat(12),
            "Brief note.");

    static final int SEQ_LEN = 24;

    @BeforeAll
    static void make() throws IOException {
        model = dir.resolve("model");
        TinyLlama.write(model, new TinyLlama.Spec(800, 32, 1, 4, 2, 96, 512, false, 4));
    }

    static DatasetBuilder.Settings settings(TaskKind kind, int seqLen, double validation, double test) {
        return new DatasetBuilder.Settings(
                kind,
                seqLen,
                NoteEncoding.Truncation.HEAD,
                NoteNormalizer.DEFAULT,
                validation,
                test,
                42,
                50,
                BpeTokenizerBuilder.BOS_ID,
                BpeTokenizerBuilder.EOS_ID,
                BpeTokenizerBuilder.PAD_ID);
    }

    static JsonNode manifest(Path out) throws IOException {
        return new ObjectMapper().readTree(out.resolve(DatasetBuilder.MANIFEST).toFile());
    }

    /** Every row of a split, in stored order. */
    static List<TokenDataset.Rows> rows(Path out, String split) throws IOException {
        TokenDataset data = TokenDataset.openLocal(out, dir.resolve("cache"));
        List<TokenDataset.Rows> all = new ArrayList<>();
        for (TokenDataset.Shard s : data.shards(split)) all.add(data.load(s));
        return all;
    }

    static Path causalLm(String name, boolean notePerRow) throws IOException {
        Path out = dir.resolve(name);
        try (DatasetBuilder b = new DatasetBuilder(
                        name, settings(TaskKind.CAUSAL_LM, SEQ_LEN, 0, 0), null, model, DatasetSink.directory(out))
                .notePerRow(notePerRow)) {
            for (int i = 0; i < NOTES.size(); i++) b.add("n" + i, "p" + i, NOTES.get(i), List.of());
            b.commit();
        }
        return out;
    }

    @Test
    void notePerRowGivesEachNoteItsOwnTruncatedPaddedRowStartingWithBos() throws IOException {
        Path out = causalLm("per-row", true);
        JsonNode m = manifest(out);
        assertEquals("note-per-row", m.get("layout").asText());
        List<TokenDataset.Rows> shards = rows(out, "train");
        assertEquals(1, shards.size());
        TokenDataset.Rows r = shards.get(0);
        assertEquals(NOTES.size(), r.rows(), "one row per note");

        long truncated = 0, tokens = 0;
        try (ClinicalTokenizer tok = ClinicalTokenizer.load(model)) {
            for (int i = 0; i < NOTES.size(); i++) {
                long[] ids = tok.encode(NoteNormalizer.DEFAULT.normalize(NOTES.get(i)), false);
                tokens += ids.length;
                int kept = Math.min(ids.length, SEQ_LEN - 1);
                if (kept < ids.length) truncated++;
                int[] want = new int[SEQ_LEN];
                Arrays.fill(want, BpeTokenizerBuilder.PAD_ID);
                want[0] = BpeTokenizerBuilder.BOS_ID;
                for (int t = 0; t < kept; t++) want[t + 1] = (int) ids[t];
                int[] got = Arrays.copyOfRange(r.inputIds(), i * SEQ_LEN, (i + 1) * SEQ_LEN);
                assertArrayEquals(want, got, "note " + i + ": <s>, its first tokens, then pad");
                assertEquals(kept + 1, r.lengths()[i], "note " + i + ": length = <s> + its tokens kept");
            }
        }
        assertTrue(truncated > 0 && truncated < NOTES.size(), "premise: some notes are cut, some fit");
        assertEquals(truncated, m.at("/counts/train/truncated").asLong());
        assertEquals(NOTES.size(), m.at("/counts/train/notes").asLong());
        assertEquals(tokens, m.at("/counts/train/tokens").asLong(), "the notes' tokens, before truncation");
    }

    @Test
    void packedRowsByDefaultAreFullRowsOfTheConcatenatedNotes() throws IOException {
        Path out = causalLm("packed", false);
        JsonNode m = manifest(out);
        assertEquals("packed", m.get("layout").asText());
        assertFalse(m.at("/counts/train").has("truncated"), "nothing is truncated in a packed stream");
        long stream = m.at("/counts/train/tokens").asLong()
                + 2L * m.at("/counts/train/notes").asLong(); // <s> and </s> around each note
        long rows = 0;
        for (TokenDataset.Rows r : rows(out, "train")) {
            rows += r.rows();
            for (int len : r.lengths()) assertEquals(SEQ_LEN, len, "every row is full");
            for (int id : r.inputIds()) assertTrue(id != BpeTokenizerBuilder.PAD_ID, "no padding");
        }
        assertEquals(stream / SEQ_LEN, rows, "the incomplete tail is dropped");
        assertTrue(rows < NOTES.size() * 3L, "premise: long notes span rows, short ones share them");
    }

    @Test
    void notePerRowIsOnlyACausalLmLayout() throws IOException {
        try (DatasetBuilder b = new DatasetBuilder(
                "x",
                settings(TaskKind.SEQ_CLS, SEQ_LEN, 0, 0),
                new DatasetBuilder.LabelSpace(List.of("0", "1"), false),
                model,
                DatasetSink.directory(dir.resolve("x")))) {
            assertThrows(IllegalArgumentException.class, () -> b.notePerRow(true));
        }
    }

    // ---- the hold-out --------------------------------------------------------------------------------------------

    static DatasetBuilder.Settings holdOut() {
        return settings(TaskKind.SEQ_CLS, SEQ_LEN, 0.25, 0.25);
    }

    /** 60 notes of one patient, each labelled; where each row id went. */
    static Map<String, String> onePatientsNotes(String name, boolean byRow) throws IOException {
        Path out = dir.resolve(name);
        try (DatasetBuilder b = new DatasetBuilder(
                        name,
                        holdOut(),
                        new DatasetBuilder.LabelSpace(List.of("0", "1"), false),
                        model,
                        DatasetSink.directory(out))
                .splitByRow(byRow)) {
            for (int i = 0; i < 60; i++)
                b.add("note-" + i, "patient-1", "Progress note " + i + ": stable.", List.of(String.valueOf(i % 2)));
            b.commit();
        }
        assertEquals(byRow ? "row" : "subject_id", manifest(out).at("/split/by").asText());
        Map<String, String> splitOf = new LinkedHashMap<>();
        for (String split : DatasetBuilder.SPLITS)
            for (TokenDataset.Rows r : rows(out, split)) for (String id : r.ids()) splitOf.put(id, split);
        assertEquals(60, splitOf.size(), "every note is a row");
        return splitOf;
    }

    /** The split the hold-out's seeded rule gives a key (a row id or a patient id). */
    static String splitOf(String key) throws IOException {
        try (DatasetBuilder probe = new DatasetBuilder(
                "probe",
                holdOut(),
                new DatasetBuilder.LabelSpace(List.of("0", "1"), false),
                model,
                DatasetSink.directory(dir.resolve("probe")))) {
            return probe.splitOf(key);
        }
    }

    @Test
    void splitByRowSpreadsOnePatientsNotesOverTheSplitsWhileTheDefaultKeepsThemTogether() throws IOException {
        Map<String, String> byRow = onePatientsNotes("by-row", true);
        assertEquals(
                Set.copyOf(DatasetBuilder.SPLITS),
                new HashSet<>(byRow.values()),
                "60 notes of one patient land in every split");
        for (var e : byRow.entrySet())
            assertEquals(splitOf(e.getKey()), e.getValue(), e.getKey() + " goes where its own id sends it");

        Map<String, String> byPatient = onePatientsNotes("by-patient", false);
        assertEquals(Set.of(splitOf("patient-1")), new HashSet<>(byPatient.values()), "one patient, one split");
    }

    // ---- a given label list --------------------------------------------------------------------------------------

    static final List<String> CODES = List.of("401", "428", "584");

    static DatasetBuilder labelled(String name, List<String> labels, boolean multilabel, boolean given)
            throws IOException {
        return new DatasetBuilder(
                        name,
                        settings(TaskKind.SEQ_CLS, SEQ_LEN, 0, 0),
                        new DatasetBuilder.LabelSpace(labels, multilabel),
                        model,
                        DatasetSink.directory(dir.resolve(name)))
                .givenLabelSet(given);
    }

    @Test
    void aGivenLabelSetDropsAndCountsAMultilabelRowsOutsideLabels() throws IOException {
        try (DatasetBuilder b = labelled("given-multi", CODES, true, true)) {
            b.add("r1", "p1", "hypertension and something else", List.of("401", "9999"));
            b.add("r2", "p2", "only codes outside the list", List.of("V99", "E88"));
            b.add("r3", "p3", "heart failure", List.of("428"));
            b.commit();
        }
        JsonNode m = manifest(dir.resolve("given-multi"));
        assertEquals(2, m.at("/outsideLabelSet/rows").asLong(), "rows that had a label outside the list");
        assertEquals(3, m.at("/outsideLabelSet/labels").asLong(), "labels outside the list");
        TokenDataset.Rows r = rows(dir.resolve("given-multi"), "train").get(0);
        assertEquals(List.of("r1", "r2", "r3"), r.ids(), "every multi-label row is kept");
        assertArrayEquals(new float[] {1, 0, 0, 0, 0, 0, 0, 1, 0}, r.multiHot(), "the outsiders are dropped");

        try (DatasetBuilder b = labelled("strict-multi", CODES, true, false)) {
            var e = assertThrows(
                    IllegalArgumentException.class,
                    () -> b.add("r1", "p1", "hypertension and something else", List.of("401", "9999")));
            assertTrue(e.getMessage().contains("unknown label '9999'"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("strict-multi")));
    }

    @Test
    void aGivenLabelSetSkipsAndCountsASingleLabelRowOutsideIt() throws IOException {
        try (DatasetBuilder b = labelled("given-single", List.of("0", "1"), false, true)) {
            b.add("a", "p1", "alive at discharge", List.of("1"));
            b.add("b", "p2", "label outside the list", List.of("7"));
            b.add("c", "p3", "alive at discharge", List.of("0"));
            b.commit();
        }
        JsonNode m = manifest(dir.resolve("given-single"));
        assertEquals(1, m.at("/outsideLabelSet/rows").asLong());
        assertEquals(1, m.at("/outsideLabelSet/labels").asLong());
        assertEquals(2, m.at("/counts/train/rows").asLong());
        TokenDataset.Rows r = rows(dir.resolve("given-single"), "train").get(0);
        assertEquals(List.of("a", "c"), r.ids(), "the row without a class in the list is skipped");
        assertArrayEquals(new long[] {1, 0}, r.classes());

        try (DatasetBuilder b = labelled("strict-single", List.of("0", "1"), false, false)) {
            b.add("a", "p1", "alive at discharge", List.of("1"));
            var e = assertThrows(IllegalArgumentException.class, () -> b.add("b", "p2", "outside", List.of("7")));
            assertTrue(e.getMessage().contains("unknown label '7'"), e.getMessage());
            b.commit();
        }
        assertFalse(
                manifest(dir.resolve("strict-single")).has("outsideLabelSet"),
                "without a given list the manifest has no such count");
    }
}
