package org.clinlora.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.DatasetSink;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TokenDataset;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.lora.LoraWeights;
import org.clinlora.model.metrics.Predictions;
import org.clinlora.model.task.ScoreFunction;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.BpeTokenizerBuilder;
import org.clinlora.model.text.NoteNormalizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The downstream protocol's knobs on a tiny LLaMA, on CPU: which epoch is kept, how the new adapter stacks on a
 * Clinical LoRA, class weights, multi-label scores and the schedule notices — each as the researcher reading a result
 * relies on it.
 */
class DownstreamProtocolTest {
    @TempDir
    static Path dir;

    static TokenDataset mor, diag;
    static List<SyntheticCorpus.Admission> admissions;

    @BeforeAll
    static void corpus() throws IOException {
        TinyLlama.write(
                dir.resolve("m"),
                new TinyLlama.Spec(2000, 32, 1, 4, 2, TinyLlama.Spec.defaultIntermediate(32), 256, false, 8));
        admissions = new SyntheticCorpus(new SyntheticCorpus.Settings(90, 0.9, 5)).admissions();
        mor = dataset("mor", admissions, 0.2, 0.2);
        diag = dataset("diag", admissions, 0.2, 0.2);
    }

    static TokenDataset dataset(String task, List<SyntheticCorpus.Admission> rows, double validation, double test)
            throws IOException {
        SyntheticCorpus.Task t = SyntheticCorpus.TASKS.stream()
                .filter(x -> x.name().equals(task))
                .findFirst()
                .orElseThrow();
        Path out = dir.resolve("ds-" + task + "-" + rows.size() + "-" + validation + "-" + test);
        var settings = new DatasetBuilder.Settings(
                TaskKind.SEQ_CLS,
                96,
                NoteEncoding.Truncation.HEAD,
                NoteNormalizer.DEFAULT,
                validation,
                test,
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
            for (SyntheticCorpus.Admission a : rows)
                b.add(a.hadmId(), a.subjectId(), a.admissionNote(), a.labels(task));
            b.commit();
        }
        return TokenDataset.openLocal(out, dir.resolve("cache"));
    }

    static Hyperparameters hyper(double lr, int batch, int accumulation, int epochs, Integer maxSteps, double dropout) {
        return new Hyperparameters(
                4,
                8,
                dropout,
                List.of("q_proj", "v_proj"),
                lr,
                0.0,
                batch,
                accumulation,
                epochs,
                maxSteps,
                0.0,
                1.0,
                3,
                false);
    }

    static LlamaModel load() throws IOException {
        return LlamaModel.load(dir.resolve("m"), Compute.CPU_FP32);
    }

    /** A run's result and its adapter's values, read before the model (and with it the adapter) is closed. */
    record Ran(Trainer.Result result, Map<String, float[]> adapter) {}

    /** A run on a fresh model; without a protocol, the Trainer's own default. */
    static Ran run(TokenDataset data, Hyperparameters h, DownstreamProtocol p) throws IOException {
        try (LlamaModel m = load()) {
            Trainer t = new Trainer(m, data, TaskKind.SEQ_CLS, h, List.of());
            if (p != null) t.protocol(p);
            Trainer.Result r = t.run("a", Trainer.Listener.none(), 0, null);
            return new Ran(r, TrainerTest.values(r));
        }
    }

    // ---- a. which epoch is kept -------------------------------------------------------------------------------

    /**
     * A rate high enough that the validation scores move from epoch to epoch: on this corpus the best AUROC is at epoch
     * 4 (tied with 5, so the earlier stays) and the lowest loss at epoch 3.
     */
    static final Hyperparameters SELECTING = hyper(1e-1, 16, 1, 5, null, 0.1);

    @Test
    void bestValidationAurocKeepsTheEpochWithTheHighestAurocAndHandsBackItsAdapter() throws IOException {
        try (LlamaModel m = load()) {
            Trainer t = new Trainer(m, mor, TaskKind.SEQ_CLS, SELECTING, List.of())
                    .protocol(DownstreamProtocol.DEFAULT.withSelection(ModelSelection.BEST_VALIDATION_AUROC));
            Trainer.Result r = t.run("a", Trainer.Listener.none(), 0, null);
            assertEquals(5, r.epochs().size(), "one validation score per epoch: " + r.epochs());
            Trainer.EpochScore best = r.epochs().get(0);
            for (Trainer.EpochScore e : r.epochs())
                if (e.validationMacroAuroc() > best.validationMacroAuroc()) best = e;
            assertEquals(best, r.selected(), "the first epoch with the highest AUROC: " + r.epochs());
            assertTrue(best.step() < r.steps(), "premise: an epoch before the last is kept " + r.epochs());
            assertEquals(best.validationMacroAuroc(), r.validation().get("macro_auroc"));
            assertEquals(best.validationLoss(), r.validation().get("loss"));
            // The adapter handed back is the kept epoch's, not the last one's.
            Map<String, Double> again = t.evaluate(new Trainer.EvalSet(mor, List.of("validation")), List.of("a"));
            assertEquals(best.validationMacroAuroc(), again.get("macro_auroc"), 1e-12);
            assertEquals(best.validationLoss(), again.get("loss"), 1e-9);
        }
    }

    @Test
    void lowestValidationLossKeepsTheEpochWithTheLowestLossAndHandsBackItsAdapter() throws IOException {
        Trainer.Result byAuroc = run(
                        mor, SELECTING, DownstreamProtocol.DEFAULT.withSelection(ModelSelection.BEST_VALIDATION_AUROC))
                .result();
        try (LlamaModel m = load()) {
            Trainer t = new Trainer(m, mor, TaskKind.SEQ_CLS, SELECTING, List.of())
                    .protocol(DownstreamProtocol.DEFAULT.withSelection(ModelSelection.LOWEST_VALIDATION_LOSS));
            Trainer.Result r = t.run("a", Trainer.Listener.none(), 0, null);
            assertEquals(
                    byAuroc.epochs(),
                    r.epochs(),
                    "the selection rule changes which epoch is kept, not how the run trains or scores");
            Trainer.EpochScore lowest = r.epochs().get(0);
            for (Trainer.EpochScore e : r.epochs()) if (e.validationLoss() < lowest.validationLoss()) lowest = e;
            assertEquals(lowest, r.selected(), "the first epoch with the lowest validation loss: " + r.epochs());
            assertEquals(lowest.validationLoss(), r.validation().get("loss"));
            assertEquals(lowest.validationMacroAuroc(), r.validation().get("macro_auroc"));
            Map<String, Double> again = t.evaluate(new Trainer.EvalSet(mor, List.of("validation")), List.of("a"));
            assertEquals(lowest.validationLoss(), again.get("loss"), 1e-9);
            assertTrue(lowest.step() < r.steps(), "premise: an epoch before the last is kept " + r.epochs());
            assertNotEquals(byAuroc.selected(), r.selected(), "premise: the two rules keep different epochs");
        }
    }

    @Test
    void lastEpochScoresNoEpochAndKeepsWhatTheRunEndedWith() throws IOException {
        Ran ran = run(mor, SELECTING, DownstreamProtocol.DEFAULT.withSelection(ModelSelection.LAST_EPOCH));
        Trainer.Result last = ran.result();
        assertTrue(last.epochs().isEmpty(), "no epoch is scored: " + last.epochs());
        assertNull(last.selected());
        Map<String, float[]> unselected = run(mor, SELECTING, null).adapter();
        Map<String, float[]> kept = ran.adapter();
        assertEquals(unselected.keySet(), kept.keySet());
        unselected.forEach((k, v) -> assertArrayEquals(v, kept.get(k), k));
        Trainer.Result scored = run(
                        mor, SELECTING, DownstreamProtocol.DEFAULT.withSelection(ModelSelection.BEST_VALIDATION_AUROC))
                .result();
        Trainer.EpochScore end = scored.epochs().get(scored.epochs().size() - 1);
        assertEquals(end.validationLoss(), last.validation().get("loss"), 1e-12, "the last epoch's adapter");
        assertEquals(end.validationMacroAuroc(), last.validation().get("macro_auroc"), 1e-12);
    }

    // ---- b. how the new adapter stacks on a Clinical LoRA ----------------------------------------------------

    /** A causal-LM adapter whose lora_B is non-zero, so that it changes the forward pass; frozen, as a parent is. */
    static LoraAdapter clinical(LlamaModel m) {
        LoraConfig config = new LoraConfig("CAUSAL_LM", 4, 8, 0.0, List.of("q_proj", "v_proj"), List.of(), false, null);
        LoraAdapter a = LoraAdapter.create(
                "clinical",
                config,
                m.projections(),
                m.classifierHead(),
                m.manager(),
                DataType.FLOAT32,
                0,
                m.config().hiddenSize(),
                m.config().initializerRange(),
                11);
        Random rnd = new Random(5);
        for (LoraWeights w : a.weights().values()) {
            float[] b = new float[Math.toIntExact(w.loraB().size())];
            for (int i = 0; i < b.length; i++) b[i] = (float) (rnd.nextGaussian() * 0.2);
            w.loraB().set(b);
        }
        m.addAdapter(a);
        return a;
    }

    static float[] hidden(LlamaModel m, TokenBatch batch, List<String> active) {
        try (StepContext ctx = m.newStep(false)) {
            return m.hiddenStates(ctx, batch, active).toFloatArray();
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }

    /** The adapter a Trainer starts its new adapter from: the same config and seed give the same initial values. */
    static LoraAdapter initial(LlamaModel m, Trainer t, Hyperparameters h, String name) {
        return LoraAdapter.create(
                name,
                t.adapterConfig(),
                m.projections(),
                m.classifierHead(),
                m.manager(),
                DataType.FLOAT32,
                mor.labelNames().size(),
                m.config().hiddenSize(),
                m.config().initializerRange(),
                h.seed());
    }

    static final Hyperparameters STACKED = hyper(5e-2, 8, 1, 1, 4, 0.1);

    static DownstreamProtocol stacking(Stacking s) {
        return DownstreamProtocol.DEFAULT
                .withSelection(ModelSelection.LAST_EPOCH)
                .withStacking(s);
    }

    static TokenBatch testBatch() {
        return new TrainingBatches(mor, 4, 1).inOrder(List.of("test")).get(0).tokens();
    }

    @Test
    void activeOnlyStackingLeavesTheForwardToTheClinicalAdapterAndTrainsTheHeadAlone() throws IOException {
        try (LlamaModel m = load()) {
            LoraAdapter clinical = clinical(m);
            Map<String, float[]> clinicalBefore = values(clinical);
            TokenBatch batch = testBatch();
            float[] withClinical = hidden(m, batch, List.of("clinical"));
            assertTrue(
                    maxAbsDiff(hidden(m, batch, List.of()), withClinical) > 1e-3,
                    "premise: the clinical adapter changes the forward");

            Trainer t = new Trainer(m, mor, TaskKind.SEQ_CLS, STACKED, List.of("clinical"))
                    .protocol(stacking(Stacking.ACTIVE_ONLY));
            Trainer.Result r = t.run("downstream", Trainer.Listener.none(), 0, null);

            assertArrayEquals(
                    withClinical,
                    hidden(m, batch, List.of("clinical", "downstream")),
                    1e-6f,
                    "[clinical, downstream] computes what [clinical] alone does");
            r.adapter().parameters().forEach((k, v) -> {
                if (k.endsWith("lora_B.weight"))
                    assertEquals(0f, v.abs().max().getFloat(), k + " never trains: the pair is never applied");
            });
            try (LoraAdapter start = initial(m, t, STACKED, "start")) {
                assertTrue(
                        maxAbsDiff(
                                        start.score().toFloatArray(),
                                        r.adapter().score().toFloatArray())
                                > 1e-4,
                        "the downstream classification head trains");
            }
            assertEquals(
                    (long) mor.labelNames().size() * m.config().hiddenSize(),
                    r.trainableParameters(),
                    "only the head is trained");
            clinicalBefore.forEach(
                    (k, v) -> assertArrayEquals(v, values(clinical).get(k), "frozen parent " + k));
        }
    }

    @Test
    void sumStackingTrainsTheDownstreamPairSoTheStackDiffersFromTheClinicalAdapterAlone() throws IOException {
        try (LlamaModel m = load()) {
            clinical(m);
            TokenBatch batch = testBatch();
            float[] withClinical = hidden(m, batch, List.of("clinical"));
            Trainer.Result r = new Trainer(m, mor, TaskKind.SEQ_CLS, STACKED, List.of("clinical"))
                    .protocol(stacking(Stacking.SUM))
                    .run("downstream", Trainer.Listener.none(), 0, null);
            assertTrue(
                    maxAbsDiff(withClinical, hidden(m, batch, List.of("clinical", "downstream"))) > 1e-4,
                    "with SUM the downstream pair trains and adds its delta");
            assertTrue(
                    r.trainableParameters()
                            > (long) mor.labelNames().size() * m.config().hiddenSize(),
                    "LoRA pairs and head train: " + r.trainableParameters());
        }
    }

    @Test
    void activeOnlyStackingIsRefusedOnTwoParents() throws IOException {
        try (LlamaModel m = load()) {
            Trainer t = new Trainer(m, mor, TaskKind.SEQ_CLS, hyper(1e-3, 8, 1, 1, 1, 0.1), List.of("c1", "c2"));
            var e = assertThrows(
                    IllegalArgumentException.class,
                    () -> t.protocol(DownstreamProtocol.DEFAULT.withStacking(Stacking.ACTIVE_ONLY)));
            assertTrue(e.getMessage().contains("at most one parent"), e.getMessage());
            t.protocol(DownstreamProtocol.DEFAULT); // summing two parents is fine
        }
    }

    // ---- c. class weights -------------------------------------------------------------------------------------

    static DownstreamProtocol weighting(ClassWeighting w) {
        return new DownstreamProtocol(w, ModelSelection.LAST_EPOCH, null, null, null);
    }

    /** The first optimizer step's logged loss (accumulation 1: the first micro-batch's loss). */
    static double firstLoss(TokenDataset data, Hyperparameters h, DownstreamProtocol p) throws IOException {
        double[] loss = {Double.NaN};
        try (LlamaModel m = load()) {
            new Trainer(m, data, TaskKind.SEQ_CLS, h, List.of())
                    .protocol(p)
                    .run(
                            "a",
                            new TrainerTest.Listener() {
                                @Override
                                public void progress(Trainer.Progress pr) {
                                    if (pr.step() == 1) loss[0] = pr.loss();
                                }
                            },
                            0,
                            null);
        }
        return loss[0];
    }

    @Test
    void inverseFrequencyWeightsTheFirstStepsCrossEntropyByTheTrainSplitsClassCounts() throws IOException {
        Hyperparameters h = hyper(1e-2, 16, 1, 1, 1, 0.0);
        long[] counts = new long[mor.labelNames().size()];
        for (TokenDataset.Shard s : mor.shards("train"))
            for (long c : mor.load(s).classes()) counts[(int) c]++;
        assertTrue(counts[1] * 2 < counts[0], "premise: the mortality split is imbalanced " + Arrays.toString(counts));
        float[] weights = ClassWeights.asFloat32(ClassWeights.inverseFrequency(counts));

        // The model's first micro-batch under the adapter's initial values (lora_B = 0: only the new head acts).
        TrainingBatches.Batch first = new TrainingBatches(mor, h.batchSize(), h.seed()).batch(0);
        double weighted, plain;
        try (LlamaModel m = load()) {
            m.addAdapter(initial(m, new Trainer(m, mor, TaskKind.SEQ_CLS, h, List.of()), h, "initial"));
            try (StepContext ctx = m.newStep(false)) {
                NDArray logits = m.classify(ctx, first.tokens(), List.of("initial"));
                weighted = Losses.crossEntropy(ctx, logits, first.classes(), weights)
                        .getFloat();
                plain = Losses.crossEntropy(ctx, logits, first.classes()).getFloat();
            }
        }
        assertTrue(
                Math.abs(weighted - plain) > 1e-4,
                "premise: the first batch mixes classes " + Arrays.toString(first.classes()));
        assertEquals(weighted, firstLoss(mor, h, weighting(ClassWeighting.INVERSE_FREQUENCY)), 1e-5);
        assertEquals(plain, firstLoss(mor, h, weighting(ClassWeighting.NONE)), 1e-5);
    }

    @Test
    void classWeightsChangeASingleLabelRunButNeverAMultilabelOne() throws IOException {
        Hyperparameters h = hyper(1e-2, 8, 1, 1, 3, 0.1);
        Map<String, float[]> none = run(mor, h, weighting(ClassWeighting.NONE)).adapter();
        Map<String, float[]> weighted =
                run(mor, h, weighting(ClassWeighting.INVERSE_FREQUENCY)).adapter();
        assertFalse(
                Arrays.equals(none.get(LoraAdapter.SCORE_KEY), weighted.get(LoraAdapter.SCORE_KEY)),
                "weighted mortality trains another head");

        Map<String, float[]> multiNone =
                run(diag, h, weighting(ClassWeighting.NONE)).adapter();
        Map<String, float[]> multiWeighted =
                run(diag, h, weighting(ClassWeighting.INVERSE_FREQUENCY)).adapter();
        assertEquals(multiNone.keySet(), multiWeighted.keySet());
        multiNone.forEach((k, v) -> assertArrayEquals(v, multiWeighted.get(k), "multi-label: unweighted " + k));
    }

    // ---- d. multi-label scores --------------------------------------------------------------------------------

    @Test
    void softmaxMultilabelScoresAreTheSoftmaxOfTheLogitsWhoseSigmoidsAreTheDefault() throws IOException {
        Hyperparameters h = hyper(1e-2, 8, 1, 1, 2, 0.1);
        DownstreamProtocol sigmoid = weighting(ClassWeighting.NONE);
        DownstreamProtocol softmax =
                new DownstreamProtocol(null, ModelSelection.LAST_EPOCH, null, ScoreFunction.SOFTMAX, null);
        Predictions sig = run(diag, h, sigmoid).result().testPredictions();
        Predictions soft = run(diag, h, softmax).result().testPredictions();
        assertEquals(sig.rows(), soft.rows());
        assertTrue(sig.rows() > 0);
        boolean someSigmoidRowIsNotADistribution = false;
        for (int i = 0; i < sig.rows(); i++) {
            double[] s = sig.probabilities()[i], p = soft.probabilities()[i];
            assertEquals(1.0, Arrays.stream(p).sum(), 1e-5, "a softmax row sums to 1");
            someSigmoidRowIsNotADistribution |= Math.abs(Arrays.stream(s).sum() - 1) > 0.1;
            // logit_j = log(s_j / (1 - s_j)); the softmax of those logits is what the SOFTMAX run reports.
            double[] logits = new double[s.length];
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int j = 0; j < s.length; j++) max = Math.max(max, logits[j] = Math.log(s[j] / (1 - s[j])));
            for (int j = 0; j < s.length; j++) z += Math.exp(logits[j] - max);
            for (int j = 0; j < s.length; j++) assertEquals(Math.exp(logits[j] - max) / z, p[j], 1e-5);
        }
        assertTrue(someSigmoidRowIsNotADistribution, "sigmoid scores are per label, not a distribution");
    }

    // ---- e. schedule notices ----------------------------------------------------------------------------------

    static List<String> notices(TokenDataset data, Hyperparameters h) throws IOException {
        try (LlamaModel m = load()) {
            return new Trainer(m, data, TaskKind.SEQ_CLS, h, List.of()).scheduleNotices();
        }
    }

    @Test
    void aScheduleOfTooFewStepsOrDroppedMicroBatchesIsNoticedAndTheResultCarriesIt() throws IOException {
        TokenDataset twenty = dataset("mor", admissions.subList(0, 20), 0.0, 0.0);
        TokenDataset twentyFour = dataset("mor", admissions.subList(0, 24), 0.0, 0.0);
        assertEquals(20, twenty.rows("train"));

        // 20 rows in batches of 4: 5 micro-batches, fewer than one window of 8, so one step is forced and its window
        // runs on into 3 micro-batches of the next epoch.
        assertEquals(
                List.of(
                        "only 1 optimizer step (20 train rows, batch 4 x 8 accumulated, 1 epochs)",
                        "the one optimizer step accumulates 8 micro-batches, 3 more than the 1 epochs hold: "
                                + "rows repeat"),
                notices(twenty, hyper(1e-3, 4, 8, 1, null, 0.1)));

        // 24 rows: 6 micro-batches, one window of 4 and an incomplete one of 2 that never steps.
        Hyperparameters dropping = hyper(1e-3, 4, 4, 1, null, 0.1);
        List<String> dropped = notices(twentyFour, dropping);
        assertEquals(2, dropped.size(), dropped.toString());
        assertTrue(dropped.get(0).contains("only 1 optimizer step "), dropped.toString());
        assertTrue(
                dropped.get(1).contains("the last 2 of 6 micro-batches never reach an optimizer step"),
                dropped.toString());

        assertEquals(List.of(), notices(twenty, hyper(1e-3, 2, 1, 1, null, 0.1)), "10 steps of whole windows");
        assertEquals(
                List.of("only 3 optimizer steps (20 train rows, batch 2 x 1 accumulated, 1 epochs)"),
                notices(twenty, hyper(1e-3, 2, 1, 1, 3, 0.1)),
                "a maxSteps cap drops micro-batches on purpose: no notice of them");

        Trainer.Result r = run(twentyFour, dropping, null).result();
        assertEquals(dropped, r.notices());
        assertEquals(
                List.of(),
                run(twenty, hyper(1e-3, 2, 1, 1, null, 0.1), null).result().notices());
    }

    // ---- f. resuming a run that selects by loss ---------------------------------------------------------------

    @Test
    void aResumedRunSelectingByLossScoresAndKeepsWhatTheUninterruptedRunDoes() throws IOException {
        DownstreamProtocol byLoss = DownstreamProtocol.DEFAULT.withSelection(ModelSelection.LOWEST_VALIDATION_LOSS);
        Map<String, float[]> checkpoint = new LinkedHashMap<>();
        Trainer.Result full;
        Map<String, float[]> fullValues;
        int at;
        try (LlamaModel m = load()) {
            Trainer t = new Trainer(m, mor, TaskKind.SEQ_CLS, SELECTING, List.of()).protocol(byLoss);
            at = t.totalSteps() / 2;
            full = t.run(
                    "a",
                    new TrainerTest.Listener() {
                        @Override
                        public void checkpoint(int step, Map<String, NDArray> tensors) {
                            if (step == at) tensors.forEach((k, v) -> checkpoint.put(k, v.toFloatArray()));
                        }
                    },
                    at,
                    null);
            fullValues = TrainerTest.values(full);
        }
        assertTrue(checkpoint.containsKey("selection/loss"), "the epochs' losses are checkpointed");
        Trainer.Result resumed;
        Map<String, float[]> resumedValues;
        try (LlamaModel m = load()) {
            resumed = new Trainer(m, mor, TaskKind.SEQ_CLS, SELECTING, List.of())
                    .protocol(byLoss)
                    .run("a", Trainer.Listener.none(), at, new Trainer.Resume(at, checkpoint));
            resumedValues = TrainerTest.values(resumed);
        }
        assertEquals(full.epochs(), resumed.epochs(), "epochs before the checkpoint keep their exact losses");
        assertEquals(full.selected(), resumed.selected());
        assertEquals(full.validation(), resumed.validation());
        assertEquals(fullValues.keySet(), resumedValues.keySet());
        fullValues.forEach((k, v) -> assertArrayEquals(v, resumedValues.get(k), k));
    }

    static Map<String, float[]> values(LoraAdapter a) {
        Map<String, float[]> out = new LinkedHashMap<>();
        a.parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }
}
