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
import java.util.List;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.BpeTokenizerBuilder;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.model.text.NoteNormalizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetBuilderTest {
    @TempDir
    static Path dir;

    static Path model, corpus;

    @BeforeAll
    static void make() throws IOException {
        model = dir.resolve("model");
        TinyLlama.write(model, new TinyLlama.Spec(800, 32, 1, 4, 2, 96, 512, false, 4));
        corpus = dir.resolve("corpus");
        new SyntheticCorpus(new SyntheticCorpus.Settings(60, 0.8, 5)).write(corpus);
    }

    static DatasetBuilder.Settings settings(TaskKind kind, int seqLen, NoteEncoding.Truncation t) {
        return new DatasetBuilder.Settings(
                kind,
                seqLen,
                t,
                NoteNormalizer.DEFAULT,
                0.1,
                0.1,
                42,
                50,
                BpeTokenizerBuilder.BOS_ID,
                BpeTokenizerBuilder.EOS_ID,
                BpeTokenizerBuilder.PAD_ID);
    }

    @Test
    void aMultilabelTaskBecomesPatientSplitShardsWhoseRowsAreTheTokenizersOwnIds() throws IOException {
        Path out = dir.resolve("diag");
        var task = SyntheticCorpus.TASKS.get(3);
        List<TaskExample> examples = new ArrayList<>();
        NoteFiles.readTaskFile(corpus.resolve("synthetic_diag.csv"), CsvReader.OnMalformed.FAIL, examples::add);
        try (DatasetBuilder b = new DatasetBuilder(
                "diag-1",
                settings(TaskKind.SEQ_CLS, 64, NoteEncoding.Truncation.HEAD),
                new DatasetBuilder.LabelSpace(task.labelNames(), true),
                model,
                DatasetSink.directory(out))) {
            for (TaskExample e : examples) b.add(e.id(), e.subjectId(), e.text(), e.labels());
            b.note("synthetic", true);
            b.commit();
        }
        JsonNode m = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        assertEquals("classification", m.get("kind").asText());
        assertEquals(
                Sha256.of(model.resolve("tokenizer.json")),
                m.get("tokenizerSha256").asText());
        assertEquals(task.labelNames().size(), m.get("labelNames").size());
        long rows = 0;
        List<float[]> hot = new ArrayList<>();
        List<int[]> firstRows = new ArrayList<>();
        for (JsonNode sh : m.get("shards")) {
            Path f = out.resolve(sh.get("file").asText());
            assertEquals(sh.get("sha256").asText(), Sha256.of(f), "manifest sha256 matches the shard");
            try (SafeTensorsReader r = SafeTensors.open(f)) {
                assertEquals(SafeTensors.Dtype.I32, r.entry("input_ids").dtype());
                assertArrayEquals(
                        new long[] {sh.get("rows").asLong(), 64},
                        r.entry("input_ids").shape());
                assertEquals(SafeTensors.Dtype.F32, r.entry("labels").dtype());
                rows += sh.get("rows").asLong();
                if (sh.get("split").asText().equals("train") && firstRows.isEmpty()) {
                    long[] ids = r.longs("input_ids");
                    int[] row = new int[64];
                    for (int i = 0; i < 64; i++) row[i] = (int) ids[i];
                    firstRows.add(row);
                    hot.add(Arrays.copyOf(r.floats("labels"), task.labelNames().size()));
                }
            }
        }
        assertEquals(examples.size(), rows);
        long sum = 0;
        for (String split : DatasetBuilder.SPLITS)
            sum += m.at("/counts/" + split + "/rows").asLong();
        assertEquals(rows, sum);
        assertTrue(
                m.at("/counts/train/rows").asLong() > m.at("/counts/test/rows").asLong());

        TaskExample first = null;
        try (DatasetBuilder b = new DatasetBuilder(
                "probe",
                settings(TaskKind.SEQ_CLS, 64, NoteEncoding.Truncation.HEAD),
                new DatasetBuilder.LabelSpace(task.labelNames(), true),
                model,
                DatasetSink.directory(dir.resolve("probe")))) {
            for (TaskExample e : examples)
                if (first == null && b.splitOf(e.subjectId()).equals("train")) first = e;
        }
        try (ClinicalTokenizer tok = ClinicalTokenizer.load(model)) {
            long[] ids = tok.encode(NoteNormalizer.DEFAULT.normalize(first.text()), false);
            int[] want = new int[64];
            want[0] = BpeTokenizerBuilder.BOS_ID;
            for (int i = 0; i < 63; i++) want[1 + i] = (int) ids[i];
            assertArrayEquals(want, firstRows.get(0), "row = <s> + DJL tokenizer ids, head-truncated");
        }
        for (int c = 0; c < task.labelNames().size(); c++) {
            assertEquals(
                    first.labels().contains(task.labelNames().get(c)) ? 1f : 0f,
                    hot.get(0)[c],
                    "multi-hot over the manifest's label order");
        }
    }

    @Test
    void causalLmRowsAreFullPackedNotesWithoutPadding() throws IOException {
        Path out = dir.resolve("lm");
        List<Note> notes = new ArrayList<>();
        NoteFiles.readMimicNotes(corpus.resolve("synthetic_discharge.csv.gz"), CsvReader.OnMalformed.FAIL, notes::add);
        try (DatasetBuilder b = new DatasetBuilder(
                "lm-1",
                settings(TaskKind.CAUSAL_LM, 128, NoteEncoding.Truncation.HEAD),
                null,
                model,
                DatasetSink.directory(out))) {
            for (Note n : notes) b.add(n.noteId(), n.subjectId(), n.text(), List.of());
            b.commit();
        }
        JsonNode m = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        long tokens = m.at("/counts/train/tokens").asLong()
                + m.at("/counts/train/notes").asLong() * 2;
        assertEquals(tokens / 128, m.at("/counts/train/rows").asLong(), "every full row of the packed stream is kept");
        for (JsonNode sh : m.get("shards")) {
            try (SafeTensorsReader r =
                    SafeTensors.open(out.resolve(sh.get("file").asText()))) {
                for (long id : r.longs("input_ids"))
                    assertTrue(id != BpeTokenizerBuilder.PAD_ID, "no padding in a packed row");
                for (long len : r.longs("lengths")) assertEquals(128, len);
            }
        }
    }

    @Test
    void aFailedBuildLeavesNoDatasetBehind() throws IOException {
        Path out = dir.resolve("failed");
        var task = SyntheticCorpus.TASKS.get(0);
        try (DatasetBuilder b = new DatasetBuilder(
                "los-x",
                settings(TaskKind.SEQ_CLS, 32, NoteEncoding.Truncation.HEAD_TAIL),
                new DatasetBuilder.LabelSpace(task.labelNames(), false),
                model,
                DatasetSink.directory(out))) {
            b.add("1", "p1", "Chief Complaint: fever", List.of("2"));
            var e = assertThrows(IllegalArgumentException.class, () -> b.add("2", "p2", "cough", List.of("9")));
            assertTrue(e.getMessage().contains("unknown label '9'"));
            assertThrows(IllegalArgumentException.class, () -> b.add("3", "p3", "  ", List.of("1")));
        }
        assertFalse(Files.exists(out));
        try (var s = Files.list(dir)) {
            assertTrue(
                    s.noneMatch(p -> p.getFileName().toString().contains(".building")), "the temp folder is removed");
        }
    }

    @Test
    void headTailTruncationKeepsBothEnds() throws IOException {
        Path out = dir.resolve("ht");
        String text = "Chief Complaint: " + "chest pain and fever ".repeat(40) + "END OF NOTE";
        try (DatasetBuilder b = new DatasetBuilder(
                "ht",
                settings(TaskKind.SEQ_CLS, 16, NoteEncoding.Truncation.HEAD_TAIL),
                new DatasetBuilder.LabelSpace(List.of("0", "1"), false),
                model,
                DatasetSink.directory(out))) {
            b.add("1", "p", text, List.of("1"));
            b.commit();
        }
        JsonNode m = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        try (SafeTensorsReader r =
                        SafeTensors.open(out.resolve(m.at("/shards/0/file").asText()));
                ClinicalTokenizer tok = ClinicalTokenizer.load(model)) {
            long[] row = r.longs("input_ids");
            long[] ids = tok.encode(NoteNormalizer.DEFAULT.normalize(text), false);
            assertEquals(BpeTokenizerBuilder.BOS_ID, row[0]);
            assertArrayEquals(Arrays.copyOfRange(ids, 0, 7), Arrays.copyOfRange(row, 1, 8), "head kept");
            assertArrayEquals(
                    Arrays.copyOfRange(ids, ids.length - 8, ids.length), Arrays.copyOfRange(row, 8, 16), "tail kept");
            assertEquals(
                    1,
                    m.at("/counts/" + m.at("/shards/0/split").asText() + "/truncated")
                            .asLong());
        }
    }
}
