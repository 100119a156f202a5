package org.clinlora.model.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.BpeTokenizerBuilder;
import org.clinlora.model.text.NoteNormalizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data that come with their own splits (the CORe and BEEP recipes): kept row for row, labels from train, the rest
 * reported.
 */
class GivenSplitsTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void model() throws IOException {
        TinyLlama.write(dir.resolve("m"), new TinyLlama.Spec(600, 32, 1, 2, 1, 96, 512, false, 8));
    }

    private static DatasetBuilder.Settings settings() {
        return new DatasetBuilder.Settings(
                TaskKind.SEQ_CLS,
                32,
                NoteEncoding.Truncation.HEAD,
                NoteNormalizer.DEFAULT,
                0.1,
                0.1,
                0,
                2,
                BpeTokenizerBuilder.BOS_ID,
                BpeTokenizerBuilder.EOS_ID,
                BpeTokenizerBuilder.PAD_ID);
    }

    private static void csv(Path f, String header, String... rows) throws IOException {
        Files.writeString(f, header + "\n" + String.join("\n", rows) + "\n");
    }

    @Test
    void coreFilesKeepEveryRowInItsSplitAndOrderAndCountTestOnlyLabels() throws IOException {
        Path d = Files.createDirectories(dir.resolve("core"));
        csv(
                d.resolve("DIA_PLUS_adm_train.csv"),
                "id,text,labels",
                "11,\"note, one\",\"4019,486\"",
                "12,note two,486",
                "13,note three,\"\"");
        csv(d.resolve("DIA_PLUS_adm_val.csv"), "id,text,labels", "21,note four,\"4019,V5861\"");
        csv(
                d.resolve("DIA_PLUS_adm_test.csv"),
                "id,text,labels",
                "31,note five,V5861",
                "32,note six,\"486,V5861,E8889\"",
                "12,note two again,486");
        TaskSource src = new TaskSource(
                null,
                d.resolve("DIA_PLUS_adm_train.csv").toString(),
                d.resolve("DIA_PLUS_adm_val.csv").toString(),
                d.resolve("DIA_PLUS_adm_test.csv").toString(),
                "core",
                null,
                null,
                null,
                null);
        DatasetBuilder.LabelSpace labels = TaskRows.labels(src, TaskRows.files(), CsvReader.OnMalformed.FAIL);
        assertEquals(
                List.of("486", "4019"),
                labels.names(),
                "the training file's codes, in the stable order (numbers numerically)");
        assertTrue(labels.multilabel());
        Map<String, Object> m;
        try (DatasetBuilder b = new DatasetBuilder(
                "diag", settings(), labels, dir.resolve("m"), DatasetSink.directory(dir.resolve("ds")))) {
            TaskRows.addAll(src, TaskRows.files(), CsvReader.OnMalformed.FAIL, b);
            assertEquals(
                    Map.of("validation", Map.of("V5861", 1L), "test", Map.of("V5861", 2L, "E8889", 1L)),
                    b.unseenLabels());
            assertEquals(1, b.idsInSeveralSplits(), "id 12 is in train and test");
            m = b.commit();
        }
        TokenDataset ds = TokenDataset.openLocal(dir.resolve("ds"), dir.resolve("cache"));
        assertEquals(Map.of("by", "given"), m.get("split"));
        assertEquals(3, ds.rows("train"));
        assertEquals(1, ds.rows("validation"));
        assertEquals(3, ds.rows("test"));
        List<String> testIds = new ArrayList<>();
        List<float[]> hot = new ArrayList<>();
        for (TokenDataset.Shard s : ds.shards("test")) {
            TokenDataset.Rows r = ds.load(s);
            testIds.addAll(r.ids());
            for (int i = 0; i < r.rows(); i++) hot.add(Arrays.copyOfRange(r.multiHot(), i * 2, i * 2 + 2));
        }
        assertEquals(List.of("31", "32", "12"), testIds, "the test file's rows in its order (shards of 2 rows)");
        assertEquals(
                List.of(0f, 0f),
                List.of(hot.get(0)[0], hot.get(0)[1]),
                "a row whose codes are all unseen stays, with no target");
        assertEquals(List.of(1f, 0f), List.of(hot.get(1)[0], hot.get(1)[1]), "the known code of a row is kept");
        @SuppressWarnings("unchecked")
        Map<String, Object> unseen = (Map<String, Object>) m.get("unseenLabels");
        assertEquals(Map.of("rows", 2L, "labels", Map.of("V5861", 2L, "E8889", 1L)), unseen.get("test"));
    }

    @Test
    void aSingleLabelRowWithAClassTrainNeverHasKeepsNoClassAndTrainMustKnowItsLabels() throws IOException {
        Path d = Files.createDirectories(dir.resolve("beep"));
        csv(d.resolve("pmv_train.csv"), "id,text,label", "1,a,0", "2,b,1");
        csv(d.resolve("pmv_dev.csv"), "id,text,label", "3,c,1");
        csv(d.resolve("pmv_test.csv"), "id,text,label", "4,d,2", "5,e,0");
        TaskSource src = new TaskSource(
                null,
                d.resolve("pmv_train.csv").toString(),
                d.resolve("pmv_dev.csv").toString(),
                d.resolve("pmv_test.csv").toString(),
                "beep",
                null,
                null,
                null,
                null);
        DatasetBuilder.LabelSpace labels = TaskRows.labels(src, TaskRows.files(), CsvReader.OnMalformed.FAIL);
        try (DatasetBuilder b = new DatasetBuilder(
                "pmv", settings(), labels, dir.resolve("m"), DatasetSink.directory(dir.resolve("pmv")))) {
            TaskRows.addAll(src, TaskRows.files(), CsvReader.OnMalformed.FAIL, b);
            b.commit();
        }
        TokenDataset ds = TokenDataset.openLocal(dir.resolve("pmv"), dir.resolve("cache"));
        TokenDataset.Rows test = ds.load(ds.shards("test").get(0));
        assertEquals(List.of("4", "5"), test.ids());
        assertEquals(-1, test.classes()[0], "class 2 is not among the training split's classes");
        assertEquals(0, test.classes()[1]);

        try (DatasetBuilder b = new DatasetBuilder(
                "x", settings(), labels, dir.resolve("m"), DatasetSink.directory(dir.resolve("x")))) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> b.addTo("train", "9", "text", List.of("2")));
            assertTrue(e.getMessage().contains("unknown label '2'"), e.getMessage());
            b.addTo("train", "8", "text", List.of("1"));
            assertThrows(
                    IllegalStateException.class,
                    () -> b.add("7", "p", "text", List.of("1")),
                    "given splits and a patient split do not mix");
            assertThrows(
                    IllegalArgumentException.class,
                    () -> b.addTo("dev", "6", "text", List.of("1")),
                    "splits are train, validation, test");
        }
    }

    @Test
    void theRecipesColumnsArePresetsAndEveryColumnCanBeNamed() {
        TaskColumns core = new TaskColumns("core", null, null, null, null);
        assertEquals(
                "hospital_expire_flag",
                core.resolve(List.of("id", "text", "hospital_expire_flag"), "f").label());
        assertEquals(
                "los_label",
                core.resolve(List.of("id", "text", "los_label"), "f").label());
        TaskColumns.Resolved dia = core.resolve(List.of("id", "text", "labels"), "f");
        assertTrue(dia.multilabel());
        assertEquals(List.of("401", "4019", "V5861"), dia.labels("401, 4019,V5861,"));
        assertEquals(
                null,
                core.resolve(List.of("id", "subject_id", "text", "labels"), "f").subject(),
                "the recipes split patients themselves");
        TaskColumns own = new TaskColumns(null, null, null, null, null);
        assertEquals(
                "subject_id",
                own.resolve(List.of("id", "subject_id", "text", "label"), "f").subject());
        assertEquals(
                List.of("a", "b"),
                own.resolve(List.of("id", "text", "labels"), "f").labels("a;b"));
        TaskColumns named = new TaskColumns("beep", "hadm_id", "note", "y", "|");
        TaskColumns.Resolved r = named.resolve(List.of("hadm_id", "note", "y"), "f");
        assertEquals(List.of("a,b", "c"), r.labels("a,b|c"), "a named separator is literal");
        CsvReader.CsvException e = assertThrows(
                CsvReader.CsvException.class, () -> core.resolve(List.of("id", "text", "label"), "pmv.csv"));
        assertTrue(e.getMessage().contains("pmv.csv") && e.getMessage().contains("los_label"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TaskColumns("mimic", null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new TaskColumns("core", null, null, null, ";"));
    }
}
