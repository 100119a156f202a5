package org.clinlora.cli.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.clinlora.cli.experiment.ExperimentConfig.Variant;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The paper's four-variant comparison on a small synthetic run: the table, the costs, and the config's rules. */
class ExperimentTest {
    /** The paper's four rows: what a config without {@code variants} or {@code stacking} runs. */
    private static final List<Variant> PAPER_ROWS =
            List.of(Variant.DOWNSTREAM, Variant.HEAD_ONLY, Variant.CLINICAL_FROZEN, Variant.CLINICAL_TRAINABLE);

    @TempDir
    Path dir;

    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    private Path config(String json) throws IOException {
        Path f = dir.resolve("experiment.json");
        Files.writeString(f, json);
        return f;
    }

    private static final String SMALL = """
            {"name": "small", "synthetic": {"patients": 120, "signal": 0.9, "seed": 5},
             "tinyModel": {"vocab": 2000, "hidden": 32, "layers": 1, "heads": 2, "kvHeads": 1},
             "tasks": ["mor", "diag"],
             "clinical": {"seqLen": 32, "optim": {"learningRate": 0.01, "batchSize": 8, "gradientAccumulation": 1, "maxSteps": 10}},
             "downstream": {"seqLen": 128, "optim": {"learningRate": 0.01, "batchSize": 8, "gradientAccumulation": 1, "epochs": 1, "maxSteps": 12}}}
            """;

    @Test
    void everyTaskGetsTheFourVariantsWithTheirCostsAndTheSharedClinicalLoraStaysUntouched() throws IOException {
        ExperimentConfig c = ExperimentConfig.read(config(SMALL));
        Path out = dir.resolve("out");
        ExperimentReport report = new Experiment(c, out, QUIET).run();

        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertEquals(String.join(",", ExperimentReport.CSV_COLUMNS), csv.get(0));
        assertEquals(1 + 1 + 2 * 4, csv.size(), "header, the Clinical LoRA's run, then 2 tasks x 4 variants: " + csv);
        assertTrue(csv.get(1).startsWith("clinical_notes,clinical_lora,"));
        for (String task : List.of("mor", "diag")) {
            for (Variant v : PAPER_ROWS) {
                double auroc = report.auroc(task, v);
                assertTrue(auroc >= 0 && auroc <= 1, task + " " + v + " macro AUROC " + auroc);
                assertEquals(12, row(report, task, v).result().steps());
                assertTrue(row(report, task, v).result().tokens() > 0);
            }
            // What each variant trains: the head alone < a LoRA + head (same with a frozen Clinical LoRA below) < both
            // LoRAs + head.
            long head = row(report, task, Variant.HEAD_ONLY).result().trainableParameters();
            long down = row(report, task, Variant.DOWNSTREAM).result().trainableParameters();
            long frozen = row(report, task, Variant.CLINICAL_FROZEN).result().trainableParameters();
            long both = row(report, task, Variant.CLINICAL_TRAINABLE).result().trainableParameters();
            long clinical = report.clinicalResult().trainableParameters();
            int labels = task.equals("mor") ? 2 : 30;
            assertEquals((long) labels * 32, head, task + ": only the score head");
            assertEquals(down, frozen, task + ": a frozen Clinical LoRA adds no trainable parameters");
            assertEquals(down + clinical, both, task + ": the trainable variant trains the Clinical LoRA too");
        }
        String md = Files.readString(out.resolve("results.md"));
        assertTrue(md.contains("| variant | MOR | DIAG | average |"), md);
        for (Variant v : PAPER_ROWS) assertTrue(md.contains("| " + v.description + " |"), v.description);

        // The trainable variant trained a copy: the saved Clinical LoRA is what the clinical run produced.
        Path clinical = out.resolve("adapters/clinical");
        String sha = Sha256.of(clinical.resolve(PeftAdapterDir.WEIGHTS));
        assertEquals("CAUSAL_LM", PeftAdapterDir.readConfig(clinical).taskType());
        ExperimentReport again =
                new Experiment(c, out, QUIET).run(); // same config, same folder: datasets reused, same numbers
        assertEquals(
                sha,
                Sha256.of(clinical.resolve(PeftAdapterDir.WEIGHTS)),
                "a rerun of the same config reproduces the Clinical LoRA bit for bit");
        for (Variant v : PAPER_ROWS)
            assertEquals(report.auroc("mor", v), again.auroc("mor", v), 1e-9, "reproducible: " + v);
    }

    @Test
    void aFolderOfAnotherConfigIsRefusedRatherThanReused() throws IOException {
        Path out = dir.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("config.json"), "{\"name\": \"other\"}");
        ExperimentConfig c = ExperimentConfig.read(config(SMALL));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new Experiment(c, out, QUIET).run());
        assertTrue(e.getMessage().contains("another config"), e.getMessage());
        Path busy = dir.resolve("busy");
        Files.createDirectories(busy);
        Files.writeString(busy.resolve("notes.txt"), "x");
        assertThrows(IllegalArgumentException.class, () -> new Experiment(c, busy, QUIET).run());
        assertEquals("x", Files.readString(busy.resolve("notes.txt")), "nothing of the user's is touched");
    }

    @Test
    void aBadConfigIsRefusedWithTheFieldItGotWrong() throws IOException {
        assertMessage("{\"taks\": [\"los\"]}", "taks");
        assertMessage("{\"variants\": [\"downstream\", \"lora_everywhere\"]}", "lora_everywhere");
        assertMessage("{\"variants\": [\"downstream\", \"downstream\"]}", "twice");
        assertMessage("{\"tasks\": [\"sepsis\"]}", "sepsis");
        assertMessage("{\"notes\": [\"discharge.csv.gz\"]}", "taskFiles");
        assertMessage(
                "{\"notes\": [\"missing.csv.gz\"], \"taskFiles\": {\"los\": \"missing-los.csv\"}}", "no such file");
        assertMessage("{\"downstream\": {\"optim\": {\"learningRate\": -1}}}", "learning rate");
        assertMessage("{\"downstream\": {\"lora\": {\"r\": 0}}}", "lora.r");
        assertMessage("{\"precision\": \"bf16\"}", "bf16 is not supported");
        assertMessage("{\"clinical\": {\"seqLen\": 4}}", "seqLen");
        assertMessage("{\"baseModel\": \"nowhere\"}", "config.json");
        assertMessage("not json", "experiment.json");
        assertMessage("{\"seed\": 1, \"seeds\": [1, 2]}", "seed or seeds");
        assertMessage("{\"seeds\": [1, 1]}", "distinct");
        assertMessage("{\"search\": {\"learningRate\": []}}", "search.learningRate");
        assertMessage(
                "{\"compareTo\": \"clinical_frozen\", \"variants\": [\"downstream\", \"head_only\"]}", "compareTo");
        assertMessage(
                "{\"notes\": [\"missing.csv.gz\"], \"taskFiles\": {\"los\": {\"train\": \"a.csv\", \"test\": \"b.csv\"}}}",
                "train, validation and test");
        assertMessage(
                "{\"notes\": [\"missing.csv.gz\"], \"taskFiles\": {\"los\": {\"file\": \"a.csv\", \"format\": \"mimic\"}}}",
                "format must be one of");
        assertMessage(
                "{\"baselines\": [{\"name\": \"bert\", \"mode\": \"half\"}]}",
                "baselines.bert.mode must be full or lora");
        assertMessage(
                "{\"baselines\": [{\"name\": \"bert\"}, {\"name\": \"bert\", \"mode\": \"full\"}]}",
                "'bert' names another row");
        assertMessage("{\"baselines\": [{\"name\": \"downstream\"}]}", "'downstream' names another row");
        assertMessage("{\"baselines\": [{\"name\": \"BioClinicalBERT\"}]}", "lowercase");
        assertMessage(
                "{\"baselines\": [{\"name\": \"bert\", \"model\": \"nowhere\"}]}",
                "baselines.bert.model: no config.json");
    }

    @Test
    void absentFieldsTakeThePapersSettings() throws IOException {
        ExperimentConfig c = ExperimentConfig.read(config("{}"));
        assertTrue(c.usesSyntheticCorpus());
        assertEquals(List.of("los", "mor", "pmv", "diag", "proc"), c.tasks());
        assertEquals(PAPER_ROWS, c.variantList());
        var clinical = c.hyper(true, false, 1, null);
        assertEquals(16, clinical.r());
        assertEquals(32.0, clinical.loraAlpha());
        assertEquals(3e-4, clinical.learningRate());
        assertEquals(512, c.clinical().seqLen());
        var downstream = c.hyper(false, false, 1, null);
        assertEquals(8, downstream.r());
        assertEquals(4.0, downstream.loraAlpha());
        assertEquals(0.1, downstream.loraDropout());
        assertEquals(5e-5, downstream.learningRate());
        assertEquals(List.of("q_proj", "v_proj"), downstream.targetModules());
        assertEquals(128, c.downstream().seqLen());
        assertTrue(c.hyper(false, true, 1, null).headOnly());
        assertFalse(c.hyper(false, false, 1, null).headOnly());
    }

    @Test
    void theShippedConfigsAreValidAndMimicIvIsThePapersProtocol() throws IOException {
        Path shipped = Path.of("..", "experiments");
        assertTrue(ExperimentConfig.read(shipped.resolve("synthetic.json")).usesSyntheticCorpus());
        // The recipes config reads the files synth-notes --recipes writes under .run/recipes.
        Path exp = Files.createDirectories(dir.resolve("repo/experiments"));
        Files.copy(shipped.resolve("synthetic-recipes.json"), exp.resolve("synthetic-recipes.json"));
        var corpus = new SyntheticCorpus(new SyntheticCorpus.Settings(20, 0.9, 1));
        corpus.write(dir.resolve("repo/.run/recipes"));
        corpus.writeRecipes(dir.resolve("repo/.run/recipes"));
        assertEquals(
                List.of(1L, 2L, 3L),
                ExperimentConfig.read(exp.resolve("synthetic-recipes.json")).seeds());
        // mimic-iv.json as shipped, its credentialed files stood in for by empty ones.
        String json = Files.readString(shipped.resolve("mimic-iv.json"))
                .replace("\"/data/", "\"" + dir.resolve("data") + "/")
                .replace("\"/models/", "\"" + dir.resolve("models") + "/");
        for (String f : json.split("\"")) {
            if (f.startsWith(dir.resolve("models").toString())) {
                Files.createDirectories(Path.of(f));
                Files.writeString(Path.of(f, "config.json"), "{}");
            }
            if (f.startsWith(dir.resolve("data").toString())) {
                Files.createDirectories(Path.of(f).getParent());
                Files.writeString(Path.of(f), "");
            }
        }
        ExperimentConfig c = ExperimentConfig.read(config(json));
        assertEquals(List.of(1L, 2L, 3L), c.seeds());
        assertEquals("fp16", c.precision());
        assertEquals(Variant.CLINICAL_TRAINABLE, c.reference());
        assertEquals(List.of("los", "mor", "pmv", "diag", "proc"), c.tasks());
        for (String task : c.tasks()) {
            assertTrue(c.taskFiles().get(task).givenSplits(), task + ": the recipe's own splits");
            assertEquals(
                    task.equals("pmv") ? "beep" : "core",
                    c.taskFiles().get(task).format());
        }
        assertEquals(512, c.clinical().seqLen());
        assertEquals(128, c.downstream().seqLen());
        assertTrue(c.downstream().selectBestEpoch());
        assertEquals(3e-4, c.hyper(true, false, 1, null).learningRate());
        assertEquals(5e-5, c.hyper(false, false, 1, null).learningRate());
        // The paper's comparison models: four clinically trained BERTs, each fully fine-tuned and with LoRA.
        assertEquals(8, c.baselines().size());
        assertEquals(
                4,
                c.baselines().stream().filter(ExperimentConfig.Baseline::full).count());
        assertEquals(12, c.arms().size(), "four variants and eight baselines in one table");
        assertEquals(
                List.of("query", "value"),
                c.hyper(false, false, 1, null, List.of("query", "value")).targetModules(),
                "a BERT baseline's LoRA takes its own architecture's targets");

        assertEquals("paper-text", c.protocol());
        assertEquals(30421L, c.expectedRows().get("los").get("train"), "the paper's Table 1 cohort sizes");
        // The paper's code as a config: its preset, its label maps, the BERT batch it used.
        String code = Files.readString(shipped.resolve("mimic-iv-paper-code.json"))
                .replace("\"/data/", "\"" + dir.resolve("data") + "/")
                .replace("\"/models/", "\"" + dir.resolve("models") + "/");
        for (String f : code.split("\"")) {
            if (f.startsWith(dir.resolve("data").toString()) && !Files.exists(Path.of(f))) {
                Files.createDirectories(Path.of(f).getParent());
                Files.writeString(Path.of(f), "");
            }
        }
        ExperimentConfig pc = ExperimentConfig.read(config(code));
        assertEquals("paper-code-v2", pc.protocol());
        assertEquals(512, pc.downstream().seqLen());
        assertEquals("lowest-validation-loss", pc.downstream().selection());
        assertEquals(Variant.CLINICAL_TRAINABLE_ACTIVE_ONLY, pc.reference());
        assertEquals(List.of("diag", "proc"), List.copyOf(pc.labelSets().keySet()));
        assertEquals(
                32,
                pc.hyper(pc.baselines().get(0), 1, null, List.of("query", "value"))
                        .batchSize());
        // The synthetic run of the code's protocol reads the recipe files like synthetic-recipes.json.
        Files.copy(
                shipped.resolve("synthetic-recipes-paper-code.json"), exp.resolve("synthetic-recipes-paper-code.json"));
        ExperimentConfig syn = ExperimentConfig.read(exp.resolve("synthetic-recipes-paper-code.json"));
        assertEquals(6, syn.variantList().size(), "each fused variant stacked both ways");
    }

    private static ExperimentReport.Run row(ExperimentReport report, String task, Variant v) {
        List<ExperimentReport.Run> runs = report.runsOf(task, v);
        assertEquals(1, runs.size(), "one seed, one run per cell");
        return runs.get(0);
    }

    private void assertMessage(String json, String expected) throws IOException {
        Path f = config(json);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExperimentConfig.read(f), json);
        assertTrue(e.getMessage().contains(expected), json + " -> " + e.getMessage());
    }
}
