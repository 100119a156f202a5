package org.clinlora.cli.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.clinlora.cli.experiment.ExperimentConfig.Corpus;
import org.clinlora.cli.experiment.ExperimentConfig.Stage;
import org.clinlora.cli.experiment.ExperimentConfig.Variant;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.metrics.MulticlassAuroc;
import org.clinlora.model.task.ScoreFunction;
import org.clinlora.model.train.ClassWeighting;
import org.clinlora.model.train.DownstreamProtocol;
import org.clinlora.model.train.Hyperparameters;
import org.clinlora.model.train.ModelSelection;
import org.clinlora.model.train.Stacking;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The experiment's protocol presets as a user meets them in a config file: what each preset sets, how the file's own
 * fields win over it, what is refused, and that the completed config (written beside the results) reads back as itself.
 * Config only: nothing is trained.
 */
class ProtocolPresetTest {
    @TempDir
    Path dir;

    /** Written as Experiment writes config.json, read back as it compares a reused output folder's. */
    private static final ObjectMapper WRITER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private static final ObjectMapper STRICT =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private static final List<String> FOUR =
            List.of("downstream", "head_only", "clinical_frozen", "clinical_trainable");

    private Path file(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private ExperimentConfig read(String json) throws IOException {
        return ExperimentConfig.read(file("experiment.json", json));
    }

    private void assertRefused(String json, String... expected) throws IOException {
        Path f = file("experiment.json", json);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExperimentConfig.read(f), json);
        for (String x : expected) assertTrue(e.getMessage().contains(x), json + " -> " + e.getMessage());
    }

    @Test
    void withoutAProtocolTheConfigIsThePapersText() throws IOException {
        ExperimentConfig c = read("{}");
        assertEquals("paper-text", c.protocol(), "the completed config names the preset it ran");
        assertEquals("sum", c.stacking());
        assertEquals(FOUR, c.variants());
        assertEquals("clinical_trainable", c.compareTo());

        Stage clinical = c.clinical();
        assertEquals(512, clinical.seqLen());
        assertEquals("default", clinical.normalizer());
        Corpus corpus = clinical.corpus();
        assertEquals("packed", corpus.layout());
        assertEquals(
                c.validationFraction() + c.testFraction(),
                corpus.holdOut(),
                1e-12,
                "the Clinical LoRA holds out the tasks' validation and test share of patients");
        assertEquals(0.3, corpus.holdOut(), 1e-12);
        assertEquals("patient", corpus.holdOutBy());
        assertEquals("as-is", corpus.text());

        Stage d = c.downstream();
        assertEquals(128, d.seqLen());
        assertEquals("default", d.normalizer());
        assertEquals("best-validation-auroc", d.selection());
        assertTrue(d.selectBestEpoch(), "the shorthand agrees with the selection");
        assertEquals("none", d.classWeighting());
        assertEquals("ovr", d.multiclassAuroc());
        assertEquals("sigmoid", d.multilabelScores());
        assertEquals(DownstreamProtocol.DEFAULT, c.downstreamProtocol(Variant.CLINICAL_FROZEN));
        assertNull(c.hyper(false, false, 1, null).warmupSteps(), "warm-up as a ratio of the steps");
    }

    @Test
    void paperCodeV2IsWhatThePapersRevisedCodeRan() throws IOException {
        ExperimentConfig c = read("{\"protocol\": \"paper-code-v2\"}");
        assertEquals("paper-code-v2", c.protocol());
        Stage clinical = c.clinical();
        assertEquals(512, clinical.seqLen());
        assertEquals("none", clinical.normalizer());
        assertEquals(new Corpus("note-per-row", 0.1, "note", "paper-code"), clinical.corpus());
        assertTrue(clinical.corpus().notePerRow());
        assertTrue(clinical.corpus().paperCodeText());
        Hyperparameters ch = c.hyper(true, false, 1, null);
        assertEquals(0.06, ch.warmupSteps(), "transformers' warm-up of 0.06 steps, as the code passed it");
        assertEquals(0.06, ch.warmupSteps(1000), "a fraction of one step whatever the run's length");
        assertEquals(0.01, ch.weightDecay());
        assertEquals(0.0, ch.maxGradNorm(), "no clipping");
        assertEquals(4, ch.batchSize());
        assertEquals(64, ch.gradientAccumulation());
        assertEquals(3e-4, ch.learningRate());

        Stage d = c.downstream();
        assertEquals(512, d.seqLen());
        assertEquals("none", d.normalizer());
        assertEquals("lowest-validation-loss", d.selection());
        assertEquals("inverse-frequency", d.classWeighting());
        assertEquals("ovo", d.multiclassAuroc());
        assertEquals("softmax", d.multilabelScores());
        Hyperparameters dh = c.hyper(false, false, 1, null);
        assertEquals(1, dh.batchSize());
        assertEquals(32, dh.gradientAccumulation());
        assertEquals(10, dh.epochs());
        assertEquals(0.06, dh.warmupSteps());
        assertEquals(0.0, dh.maxGradNorm());
        assertEquals(5e-5, dh.learningRate());

        assertEquals("active-only", c.stacking());
        assertEquals(
                List.of("downstream", "head_only", "clinical_frozen_active_only", "clinical_trainable_active_only"),
                c.variants(),
                "the fused variants run as PEFT 0.4 ran them, under their own names");
        assertEquals("clinical_trainable_active_only", c.compareTo());
        assertEquals(Variant.CLINICAL_TRAINABLE_ACTIVE_ONLY, c.reference());
        DownstreamProtocol p = c.downstreamProtocol(Variant.CLINICAL_FROZEN_ACTIVE_ONLY);
        assertEquals(Stacking.ACTIVE_ONLY, p.stacking());
        assertEquals(ModelSelection.LOWEST_VALIDATION_LOSS, p.selection());
        assertEquals(ClassWeighting.INVERSE_FREQUENCY, p.classWeighting());
        assertEquals(MulticlassAuroc.OVO, p.multiclassAuroc());
        assertEquals(ScoreFunction.SOFTMAX, p.multilabelScores());
        assertEquals(
                Stacking.SUM, c.downstreamProtocol(Variant.DOWNSTREAM).stacking(), "no parent: nothing to stack on");
    }

    @Test
    void paperCodeV1IsTheFirstVersionsShorterRowsAndLastEpoch() throws IOException {
        ExperimentConfig c = read("{\"protocol\": \"paper-code-v1\"}");
        assertEquals(128, c.clinical().seqLen());
        assertEquals(128, c.downstream().seqLen());
        assertEquals("last-epoch", c.downstream().selection());
        assertFalse(c.downstream().selectBestEpoch());
        Hyperparameters dh = c.hyper(false, false, 1, null);
        assertEquals(8, dh.batchSize());
        assertEquals(10, dh.gradientAccumulation());
        assertEquals(ModelSelection.LAST_EPOCH, c.downstreamProtocol(null).selection());
    }

    @Test
    void theFilesFieldsWinOverThePresetsFieldByField() throws IOException {
        ExperimentConfig lr =
                read("{\"protocol\": \"paper-code-v2\", \"downstream\": {\"optim\": {\"learningRate\": 0.01}}}");
        Hyperparameters h = lr.hyper(false, false, 1, null);
        assertEquals(0.01, h.learningRate(), "the file's rate");
        assertEquals(0.06, h.warmupSteps(), "the preset's warm-up beside it");
        assertEquals(1, h.batchSize());
        assertEquals(32, h.gradientAccumulation());
        assertEquals("lowest-validation-loss", lr.downstream().selection(), "the rest of the stage untouched");

        ExperimentConfig ratio =
                read("{\"protocol\": \"paper-code-v2\", \"downstream\": {\"optim\": {\"warmupRatio\": 0.1}}}");
        Hyperparameters r = ratio.hyper(false, false, 1, null);
        assertNull(r.warmupSteps(), "a ratio in the file replaces the preset's steps rather than conflicting");
        assertEquals(0.1, r.warmupRatio());
        assertEquals(0.06, ratio.hyper(true, false, 1, null).warmupSteps(), "the other stage keeps the preset's");

        ExperimentConfig last = read("{\"downstream\": {\"selectBestEpoch\": false}}");
        assertEquals("paper-text", last.protocol());
        assertEquals("last-epoch", last.downstream().selection(), "the older shorthand still chooses the epoch");
        assertFalse(last.downstream().selectBestEpoch());

        ExperimentConfig seqLen = read("{\"protocol\": \"paper-code-v1\", \"downstream\": {\"seqLen\": 256}}");
        assertEquals(256, seqLen.downstream().seqLen());
        assertEquals(128, seqLen.clinical().seqLen());

        ExperimentConfig sum = read("{\"protocol\": \"paper-code-v2\", \"stacking\": \"sum\"}");
        assertEquals(FOUR, sum.variants(), "the file's stacking over the preset's");

        assertRefused(
                "{\"downstream\": {\"selectBestEpoch\": true, \"selection\": \"last-epoch\"}}",
                "downstream.selectBestEpoch");
    }

    @Test
    void aSearchOverLearningRatesWorksUnderEveryPreset() throws IOException {
        for (String preset : Protocols.NAMES) {
            ExperimentConfig c =
                    read("{\"protocol\": \"" + preset + "\", \"search\": {\"learningRate\": [1e-4, 5e-5]}}");
            assertEquals(List.of(1e-4, 5e-5), c.learningRates(), preset);
            assertEquals(1e-4, c.hyper(false, false, 1, 1e-4).learningRate(), preset);
        }
        assertRefused(
                "{\"search\": {\"learningRate\": [1e-4]}, \"downstream\": {\"optim\": {\"learningRate\": 1e-3}}}",
                "not both");
    }

    @Test
    void stackingBothRunsEachFusedVariantBesideItsActiveOnlyTwin() throws IOException {
        ExperimentConfig c = read("{\"stacking\": \"both\"}");
        assertEquals(
                List.of(
                        "downstream",
                        "head_only",
                        "clinical_frozen",
                        "clinical_frozen_active_only",
                        "clinical_trainable",
                        "clinical_trainable_active_only"),
                c.variants());
        assertEquals("clinical_trainable", c.compareTo(), "the summed stacking is the reference");
        assertEquals(
                Stacking.SUM, c.downstreamProtocol(Variant.CLINICAL_TRAINABLE).stacking());
        assertEquals(
                Stacking.ACTIVE_ONLY,
                c.downstreamProtocol(Variant.CLINICAL_TRAINABLE_ACTIVE_ONLY).stacking());
    }

    @Test
    void anUnknownChoiceIsRefusedNamingItsField() throws IOException {
        assertRefused("{\"protocol\": \"paper-code-v3\"}", "protocol", "paper-code-v3");
        assertRefused("{\"stacking\": \"nested\"}", "stacking", "nested");
        assertRefused("{\"downstream\": {\"selection\": \"best-test-auroc\"}}", "downstream.selection");
        assertRefused("{\"downstream\": {\"multiclassAuroc\": \"micro\"}}", "downstream.multiclassAuroc");
        assertRefused("{\"downstream\": {\"classWeighting\": \"balanced\"}}", "downstream.classWeighting");
        assertRefused("{\"downstream\": {\"multilabelScores\": \"tanh\"}}", "downstream.multilabelScores");
        assertRefused("{\"clinical\": {\"corpus\": {\"layout\": \"sliding\"}}}", "clinical.corpus.layout");
        assertRefused("{\"clinical\": {\"corpus\": {\"holdOut\": 1.0}}}", "clinical.corpus.holdOut");
        assertRefused("{\"clinical\": {\"normalizer\": \"lowercase\"}}", "clinical.normalizer");
        assertRefused("{\"clinical\": {\"selection\": \"last-epoch\"}}", "clinical");
        assertRefused("{\"downstream\": {\"corpus\": {\"layout\": \"packed\"}}}", "downstream.corpus");
    }

    @Test
    void theCompletedConfigReadsBackAsItself() throws IOException {
        Files.writeString(dir.resolve("diag-labels.txt"), "4019\n4280\n");
        String paperCode = """
                {"protocol": "paper-code-v2",
                 "labelSets": {"diag": "diag-labels.txt"},
                 "expectedRows": {"mor": {"train": 33954, "validation": 4908, "test": 9822}}}
                """;
        for (String json : List.of("{}", paperCode, "{\"protocol\": \"paper-code-v1\"}")) {
            ExperimentConfig c = read(json);
            Path written = dir.resolve("out/config.json");
            Files.createDirectories(written.getParent());
            WRITER.writeValue(written.toFile(), c);
            assertEquals(c, WRITER.readValue(written.toFile(), ExperimentConfig.class), "as stored: " + json);
            assertEquals(c, ExperimentConfig.read(written), "completed again: " + json);
        }
        ExperimentConfig c = read(paperCode);
        assertEquals(Map.of("diag", dir.resolve("diag-labels.txt").toString()), c.labelSets(), "an absolute path");
        assertEquals(
                Map.of("train", 33954L, "validation", 4908L, "test", 9822L),
                c.expectedRows().get("mor"));
    }

    @Test
    void theStoredConfigOfBothStackingsIsRecognisedWhenTheFolderIsReused() throws IOException {
        ExperimentConfig c = read("{\"protocol\": \"paper-code-v2\", \"stacking\": \"both\"}");
        Path written = dir.resolve("config.json");
        WRITER.writeValue(written.toFile(), c);
        assertEquals(c, WRITER.readValue(written.toFile(), ExperimentConfig.class));
    }

    @Test
    void aLabelSetIsAFileForATaskThatIsRun() throws IOException {
        Files.writeString(dir.resolve("labels.txt"), "a\nb\n");
        assertRefused("{\"tasks\": [\"mor\"], \"labelSets\": {\"diag\": \"labels.txt\"}}", "labelSets.diag");
        assertRefused("{\"labelSets\": {\"diag\": \"missing.txt\"}}", "labelSets.diag", "no such file");

        Path listed = file("codes.txt", "# diagnosis codes, most frequent first\n4019\n\n  4280  \n# end\n0389\n");
        DatasetBuilder.LabelSpace space = LabelSets.read(listed, true);
        assertEquals(List.of("4019", "4280", "0389"), space.names(), "the file's order, comments and blanks skipped");
        assertTrue(space.multilabel());
        IllegalArgumentException empty = assertThrows(
                IllegalArgumentException.class, () -> LabelSets.read(file("empty.txt", "# none\n\n"), false));
        assertTrue(empty.getMessage().contains("no labels"), empty.getMessage());
        IllegalArgumentException twice = assertThrows(
                IllegalArgumentException.class, () -> LabelSets.read(file("twice.txt", "a\nb\na\n"), false));
        assertTrue(twice.getMessage().contains("twice") && twice.getMessage().contains("a"), twice.getMessage());
    }

    @Test
    void expectedRowsNameKnownSplitsAndASplitThatDiffersIsANotice() throws IOException {
        assertRefused("{\"expectedRows\": {\"mor\": {\"dev\": 10}}}", "expectedRows.mor", "dev");
        assertRefused("{\"expectedRows\": {\"mor\": {\"train\": -1}}}", "expectedRows.mor.train");
        assertRefused("{\"tasks\": [\"los\"], \"expectedRows\": {\"mor\": {\"train\": 1}}}", "expectedRows.mor");

        ExperimentConfig c = read("{\"expectedRows\": {\"mor\": {\"train\": 100, \"validation\": 20, \"test\": 40}}}");
        var data = new ExperimentReport.TaskData(
                Map.of("train", 97L, "validation", 20L, "test", 40L), "patient", 2, Map.of(), 0);
        StringBuilder sb = new StringBuilder();
        ProtocolSection.notices(sb, c, null, List.of(), Map.of("mor", data));
        String md = sb.toString();
        assertTrue(md.contains("MOR train: 97 rows, the config expects 100"), md);
        assertFalse(md.contains("validation"), "a split of the expected size is not flagged: " + md);

        StringBuilder none = new StringBuilder();
        var exact = new ExperimentReport.TaskData(
                Map.of("train", 100L, "validation", 20L, "test", 40L), "patient", 2, Map.of(), 0);
        ProtocolSection.notices(none, c, null, List.of(), Map.of("mor", exact));
        assertEquals("", none.toString(), "no notices, no section");
    }

    @Test
    void theProtocolSectionNamesEveryKnobOfThePreset() throws IOException {
        StringBuilder sb = new StringBuilder();
        ProtocolSection.write(sb, read("{\"protocol\": \"paper-code-v2\"}"));
        String md = sb.toString();
        assertTrue(md.contains("`paper-code-v2`"), md);
        assertTrue(md.contains("note-per-row, 10 % held out by note, text paper-code"), md);
        assertTrue(md.contains("selection lowest-validation-loss"), md);
        assertTrue(md.contains("stacking active-only"), md);
        assertTrue(md.contains("batch 1 x 32"), md);
        assertTrue(md.contains("warm-up 0.06 steps"), md);
        assertTrue(md.contains("clipping none"), md);
    }

    @Test
    void everyPresetIsAPartialConfigAndCompletesAlone() throws IOException {
        for (String name : Protocols.NAMES) {
            ExperimentConfig partial = STRICT.treeToValue(Protocols.preset(name), ExperimentConfig.class);
            assertNull(partial.protocol(), name + ": a preset does not name another");
            assertTrue(partial.downstream() != null && partial.clinical() != null, name);
            ExperimentConfig c = read("{\"protocol\": \"" + name + "\"}");
            assertEquals(name, c.protocol());
        }
        assertThrows(IllegalArgumentException.class, () -> Protocols.preset("paper"));
    }

    @Test
    void theShippedPaperCodeConfigRunsBothStackingsOnTheRecipesFiles() throws IOException {
        Path shipped = Path.of("..", "experiments", "synthetic-recipes-paper-code.json");
        if (!Files.isRegularFile(shipped)) return;
        Path exp = Files.createDirectories(dir.resolve("repo/experiments"));
        Files.copy(shipped, exp.resolve("synthetic-recipes-paper-code.json"));
        var corpus = new SyntheticCorpus(new SyntheticCorpus.Settings(20, 0.9, 1));
        corpus.write(dir.resolve("repo/.run/recipes"));
        corpus.writeRecipes(dir.resolve("repo/.run/recipes"));
        ExperimentConfig c = ExperimentConfig.read(exp.resolve("synthetic-recipes-paper-code.json"));
        assertEquals("paper-code-v2", c.protocol());
        assertEquals(6, c.variants().size(), "both stackings: " + c.variants());
        Hyperparameters ch = c.hyper(true, false, 1, null);
        assertEquals(8, ch.batchSize(), "the file's batch over the preset's");
        assertEquals(0.06, ch.warmupSteps(), "the preset's warm-up under it");
        assertEquals("note-per-row", c.clinical().corpus().layout());
    }
}
