package org.clinlora.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.CpuDataParallel;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.DatasetSink;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.data.NoteFiles;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TokenDataset;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.BpeTokenizerBuilder;
import org.clinlora.model.text.NoteNormalizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Training jobs on the planted-signal synthetic corpus with a tiny model, on CPU: learning, chance, resume, perplexity.
 */
class TrainerTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void corpus() throws IOException {
        TinyLlama.write(
                dir.resolve("m"),
                new TinyLlama.Spec(2000, 64, 2, 4, 2, TinyLlama.Spec.defaultIntermediate(64), 512, false, 8));
        new SyntheticCorpus(new SyntheticCorpus.Settings(300, 0.9, 5)).write(dir.resolve("c"));
    }

    static TokenDataset classification(String task) throws IOException {
        SyntheticCorpus.Task t = SyntheticCorpus.TASKS.stream()
                .filter(x -> x.name().equals(task))
                .findFirst()
                .orElseThrow();
        Path out = dir.resolve("ds-" + task);
        if (!Files.exists(out)) {
            var settings = new DatasetBuilder.Settings(
                    TaskKind.SEQ_CLS,
                    128,
                    NoteEncoding.Truncation.HEAD,
                    NoteNormalizer.DEFAULT,
                    0.15,
                    0.25,
                    0,
                    64,
                    BpeTokenizerBuilder.BOS_ID,
                    BpeTokenizerBuilder.EOS_ID,
                    BpeTokenizerBuilder.PAD_ID);
            try (DatasetBuilder b = new DatasetBuilder(
                    task,
                    settings,
                    new DatasetBuilder.LabelSpace(t.labelNames(), t.multilabel()),
                    dir.resolve("m"),
                    DatasetSink.directory(out))) {
                NoteFiles.readTaskFile(
                        dir.resolve("c/synthetic_" + task + ".csv"),
                        CsvReader.OnMalformed.FAIL,
                        e -> add(b, e.id(), e.subjectId(), e.text(), e.labels()));
                b.commit();
            }
        }
        return TokenDataset.openLocal(out, dir.resolve("cache"));
    }

    static void add(DatasetBuilder b, String id, String subject, String text, List<String> labels) {
        try {
            b.add(id, subject, text, labels);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    static Hyperparameters hyper(double lr, int epochs, Integer maxSteps) {
        return new Hyperparameters(
                8, 16, 0.1, List.of("q_proj", "v_proj"), lr, 0.06, 8, 1, epochs, maxSteps, 0.0, 1.0, 1, false);
    }

    @Test
    void aDownstreamAdapterLearnsThePlantedSignalWhileAnUntrainedHeadStaysAtChance() throws IOException {
        TokenDataset data = classification("los");
        try (LlamaModel m = LlamaModel.load(dir.resolve("m"), Compute.CPU_FP32)) {
            Trainer.Result r = new Trainer(m, data, TaskKind.SEQ_CLS, hyper(1e-2, 8, null), List.of())
                    .run("trained", quiet(), 0, null);
            assertTrue(r.test().get("macro_auroc") >= 0.85, "trained LOS adapter: " + r.test());
            assertEquals(4.0, r.test().get("labels_scored"));
            assertTrue(
                    r.trainableParameters() < 10_000, "LoRA pairs and the score head only: " + r.trainableParameters());
        }
        try (LlamaModel m = LlamaModel.load(dir.resolve("m"), Compute.CPU_FP32)) {
            Trainer.Result r = new Trainer(m, data, TaskKind.SEQ_CLS, hyper(1e-9, 1, 1), List.of())
                    .run("untrained", quiet(), 0, null);
            assertTrue(
                    Math.abs(r.test().get("macro_auroc") - 0.5) < 0.15,
                    "an untrained head is near chance: " + r.test());
        }
    }

    @Test
    void theHeadOnlyBaselineTrainsTheScoreHeadAloneAndKeepsNoStateForFrozenTensors() throws IOException {
        TokenDataset data = classification("mor");
        try (LlamaModel m = LlamaModel.load(dir.resolve("m"), Compute.CPU_FP32)) {
            var h = new Hyperparameters(
                    8, 16, 0.1, List.of("q_proj", "v_proj"), 1e-2, 0.0, 8, 1, 1, 4, 0.0, 1.0, 1, true);
            Trainer.Result r = new Trainer(m, data, TaskKind.SEQ_CLS, h, List.of()).run("head", quiet(), 0, null);
            assertEquals((long) 2 * m.config().hiddenSize(), r.trainableParameters(), "only the 2-label head trains");
            r.adapter().parameters().forEach((k, v) -> {
                if (k.endsWith("lora_B.weight"))
                    assertEquals(0f, v.abs().max().getFloat(), k + " stays at its identity init");
            });
            for (var p : m.projections().values())
                assertTrue(!p.weight().hasGradient(), "base weights carry no gradient: " + p.name());
        }
    }

    /** With one part per micro-batch, and with data-parallel parts (their own dropout streams, summed in order). */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void aRunResumedFromItsCheckpointEndsWithTheSameAdapterBitForBit(int workers) throws IOException {
        int before = CpuDataParallel.workers();
        CpuDataParallel.setWorkers(workers);
        try {
            resumedRunEndsBitForBit();
        } finally {
            CpuDataParallel.setWorkers(before);
        }
    }

    private void resumedRunEndsBitForBit() throws IOException {
        TokenDataset data = classification("diag");
        Map<String, float[]> checkpoint = new LinkedHashMap<>();
        Map<String, float[]> uninterrupted;
        try (LlamaModel m = LlamaModel.load(dir.resolve("m"), Compute.CPU_FP32)) {
            Trainer.Listener keepStep4 = new Listener() {
                @Override
                public void checkpoint(int step, Map<String, NDArray> tensors) {
                    if (step == 4) tensors.forEach((k, v) -> checkpoint.put(k, v.toFloatArray()));
                }
            };
            uninterrupted = values(new Trainer(m, data, TaskKind.SEQ_CLS, withAccumulation(2, 9), List.of())
                    .run("a", keepStep4, 2, null));
        }
        assertTrue(
                checkpoint.keySet().stream().anyMatch(k -> k.startsWith("exp_avg/")),
                "optimizer moments are checkpointed");
        try (LlamaModel m = LlamaModel.load(dir.resolve("m"), Compute.CPU_FP32)) {
            Map<String, float[]> resumed =
                    values(new Trainer(m, data, TaskKind.SEQ_CLS, withAccumulation(2, 9), List.of())
                            .run("a", quiet(), 2, new Trainer.Resume(4, checkpoint)));
            assertEquals(uninterrupted.keySet(), resumed.keySet());
            uninterrupted.forEach((k, v) -> assertArrayEquals(v, resumed.get(k), k));
        }
    }

    @Test
    void theBestEpochOnValidationIsKeptAndAResumedRunSelectsAmongAllItsEpochs() throws IOException {
        TokenDataset data = classification("mor");
        // An aggressive rate over many epochs, so the last epoch is not always the best one.
        Hyperparameters h = new Hyperparameters(
                8, 16, 0.1, List.of("q_proj", "v_proj"), 5e-2, 0.0, 16, 1, 6, null, 0.0, 1.0, 4, false);
        Map<String, float[]> checkpoint = new LinkedHashMap<>();
        Trainer.Result full;
        Map<String, float[]> fullValues;
        int[] total = {0};
        try (LlamaModel m = LlamaModel.load(dir.resolve("m"), Compute.CPU_FP32)) {
            Trainer t = new Trainer(m, data, TaskKind.SEQ_CLS, h, List.of()).protocol(DownstreamProtocol.DEFAULT);
            total[0] = t.totalSteps();
            int at = total[0] / 2;
            full = t.run(
                    "a",
                    new Listener() {
                        @Override
                        public void checkpoint(int step, Map<String, NDArray> tensors) {
                            if (step == at) tensors.forEach((k, v) -> checkpoint.put(k, v.toFloatArray()));
                        }
                    },
                    at,
                    null);
            fullValues = values(full);
            assertEquals(
                    6, full.epochs().size(), "validation scored at the end of each of the 6 epochs: " + full.epochs());
            double best = full.epochs().stream()
                    .mapToDouble(Trainer.EpochScore::validationMacroAuroc)
                    .max()
                    .orElseThrow();
            assertEquals(best, full.selected().validationMacroAuroc());
            assertEquals(
                    full.selected().validationMacroAuroc(), full.validation().get("macro_auroc"));
            // The adapter handed back is the kept epoch's: scoring it again gives the kept epoch's validation score.
            List<String> active = List.of("a");
            assertEquals(
                    full.validation().get("macro_auroc"),
                    t.evaluate(new Trainer.EvalSet(data, List.of("validation")), active)
                            .get("macro_auroc"),
                    1e-12);
        }
        assertTrue(
                checkpoint.containsKey("selection/history"),
                "the epochs scored so far are checkpointed: " + checkpoint.keySet());
        try (LlamaModel m = LlamaModel.load(dir.resolve("m"), Compute.CPU_FP32)) {
            Trainer.Result resumed = new Trainer(m, data, TaskKind.SEQ_CLS, h, List.of())
                    .protocol(DownstreamProtocol.DEFAULT)
                    .run("a", quiet(), total[0] / 2, new Trainer.Resume(total[0] / 2, checkpoint));
            assertEquals(full.epochs(), resumed.epochs());
            assertEquals(full.selected(), resumed.selected());
            fullValues.forEach((k, v) -> assertArrayEquals(v, values(resumed).get(k), k));
        }
    }

    @Test
    void domainAdaptationLowersHeldOutPerplexity() throws IOException {
        Path out = dir.resolve("ds-notes");
        var settings = new DatasetBuilder.Settings(
                TaskKind.CAUSAL_LM,
                64,
                NoteEncoding.Truncation.HEAD,
                NoteNormalizer.DEFAULT,
                0.1,
                0.1,
                0,
                256,
                BpeTokenizerBuilder.BOS_ID,
                BpeTokenizerBuilder.EOS_ID,
                BpeTokenizerBuilder.PAD_ID);
        try (DatasetBuilder b =
                new DatasetBuilder("notes", settings, null, dir.resolve("m"), DatasetSink.directory(out))) {
            NoteFiles.readMimicNotes(
                    dir.resolve("c/synthetic_discharge.csv.gz"),
                    CsvReader.OnMalformed.FAIL,
                    n -> add(b, n.noteId(), n.subjectId(), n.text(), null));
            b.commit();
        }
        TokenDataset data = TokenDataset.openLocal(out, dir.resolve("cache"));
        try (LlamaModel m = LlamaModel.load(dir.resolve("m"), Compute.CPU_FP32)) {
            var h = new Hyperparameters(
                    16, 32, 0.0, List.of("q_proj", "v_proj"), 1e-2, 0.06, 8, 1, 1, 60, 0.0, 1.0, 3, false);
            Trainer.Result r = new Trainer(m, data, TaskKind.CAUSAL_LM, h, List.of()).run("clinical", quiet(), 0, null);
            double before = r.before().get("perplexity"), after = r.validation().get("perplexity");
            assertTrue(after < before * 0.8, "held-out perplexity " + before + " -> " + after);
            assertThrows(
                    IllegalArgumentException.class,
                    () -> new Trainer(m, data, TaskKind.SEQ_CLS, hyper(1e-3, 1, 1), List.of()),
                    "a downstream job on a causal-LM dataset is refused");
            assertThrows(
                    IllegalArgumentException.class,
                    () -> new Trainer(m, data, TaskKind.CAUSAL_LM, h, List.of()).protocol(DownstreamProtocol.DEFAULT),
                    "epoch selection and the rest of the downstream protocol are for downstream runs only");
        }
    }

    /**
     * A micro-batch computed as data-parallel parts reports the loss of the whole batch and moves the adapter as the
     * whole batch does: with a class-weighted cross-entropy (parts weighted by their rows' class weights) and with a
     * multi-label task (the parts' multi-hot rows).
     */
    @ParameterizedTest
    @ValueSource(strings = {"los", "diag"})
    void aMicroBatchInDataParallelPartsTrainsAsTheWholeBatch(String task) throws IOException {
        TokenDataset data = classification(task);
        Hyperparameters h =
                new Hyperparameters(8, 16, 0.0, List.of("q_proj", "v_proj"), 1e-3, 0.0, 6, 1, 1, 3, 0.0, 1.0, 4, false);
        DownstreamProtocol weighted = DownstreamProtocol.DEFAULT.withClassWeighting(ClassWeighting.INVERSE_FREQUENCY);
        int before = CpuDataParallel.workers();
        Map<Integer, List<Double>> losses = new LinkedHashMap<>();
        Map<Integer, Map<String, float[]>> adapters = new LinkedHashMap<>();
        try {
            for (int workers : new int[] {1, 3}) {
                CpuDataParallel.setWorkers(workers);
                List<Double> l = new ArrayList<>();
                try (LlamaModel m = LlamaModel.load(dir.resolve("m"), Compute.CPU_FP32)) {
                    Trainer.Result r = new Trainer(m, data, TaskKind.SEQ_CLS, h, List.of())
                            .protocol(weighted)
                            .run(
                                    "a",
                                    new Listener() {
                                        @Override
                                        public void progress(Trainer.Progress p) {
                                            l.add(p.loss());
                                        }
                                    },
                                    0,
                                    null);
                    adapters.put(workers, values(r));
                }
                losses.put(workers, l);
            }
        } finally {
            CpuDataParallel.setWorkers(before);
        }
        assertEquals(3, losses.get(1).size());
        for (int i = 0; i < 3; i++)
            assertEquals(losses.get(1).get(i), losses.get(3).get(i), 1e-5, "step " + (i + 1));
        adapters.get(1).forEach((k, v) -> assertArrayEquals(v, adapters.get(3).get(k), 1e-5f, k));
    }

    static Hyperparameters withAccumulation(int accumulation, int maxSteps) {
        return new Hyperparameters(
                8, 16, 0.1, List.of("q_proj", "v_proj"), 1e-2, 0.1, 4, accumulation, 1, maxSteps, 0.01, 1.0, 11, false);
    }

    static Map<String, float[]> values(Trainer.Result r) {
        Map<String, float[]> out = new LinkedHashMap<>();
        r.adapter().parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    /** A listener that only records nothing; subclasses override what they watch. */
    static class Listener implements Trainer.Listener {
        @Override
        public void progress(Trainer.Progress p) {}

        @Override
        public void checkpoint(int step, Map<String, NDArray> tensors) {}

        @Override
        public boolean cancelled() {
            return false;
        }
    }

    static Trainer.Listener quiet() {
        return Trainer.Listener.none();
    }
}
