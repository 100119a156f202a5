package org.clinlora.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TestResources;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraConfig;
import org.junit.jupiter.api.Test;

/** The paper's downstream step: a new SEQ_CLS LoRA trained with the clinical LoRA active and frozen. */
class TrainingLoopTest {
    static final Path GOLDEN = TestResources.path("golden");
    static final TokenBatch BATCH = new TokenBatch(
            4,
            6,
            new long[] {1, 20, 30, 40, 50, 60, 1, 21, 31, 41, 0, 0, 1, 22, 32, 0, 0, 0, 1, 23, 33, 43, 53, 0},
            new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0});
    static final float[] LABELS = {1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1};

    record Run(Map<String, float[]> trained, Map<String, float[]> clinical, List<Float> losses) {}

    static Run train(int optimizerSteps, double lr) throws IOException {
        try (LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32)) {
            LoraAdapter clinical = PeftAdapterDir.load(m, "clinical", GOLDEN.resolve("clinical"));
            LoraConfig cfg =
                    new LoraConfig("SEQ_CLS", 4, 8, 0.1, List.of("q_proj", "v_proj"), List.of("score"), false, null);
            LoraAdapter down = LoraAdapter.create(
                    "downstream",
                    cfg,
                    m.projections(),
                    m.classifierHead(),
                    m.manager(),
                    m.compute().dtype(),
                    3,
                    m.config().hiddenSize(),
                    0.02,
                    7);
            m.addAdapter(down);
            down.setTrainable(true);
            List<String> active = List.of("clinical", "downstream");
            var settings = new TrainingLoop.Settings(
                    lr,
                    Math.ceil(0.06 * optimizerSteps),
                    optimizerSteps,
                    2,
                    1.0,
                    new AdamW.Settings(0.9, 0.999, 1e-8, 0.01),
                    1234);
            List<Float> losses = new ArrayList<>();
            try (TrainingLoop loop = new TrainingLoop(m, active, settings)) {
                for (int i = 0; i < optimizerSteps * 2; i++) {
                    var r = loop.microStep(ctx -> Losses.bceWithLogits(
                            ctx, m.classify(ctx, m.hiddenStates(ctx, BATCH, active), BATCH, active), LABELS));
                    assertEquals(i % 2 == 1, r.optimizerStepped(), "an optimizer step every 2 micro-batches");
                    losses.add(r.loss());
                }
            }
            return new Run(values(down.parameters()), values(clinical.parameters()), losses);
        }
    }

    static Map<String, float[]> values(Map<String, NDArray> p) {
        Map<String, float[]> out = new LinkedHashMap<>();
        p.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    @Test
    void aSeededRunRepeatsBitForBitWithDropoutAccumulationAndClipping() throws IOException {
        Run a = train(3, 1e-3), b = train(3, 1e-3);
        assertEquals(a.trained().keySet(), b.trained().keySet());
        a.trained().forEach((k, v) -> assertArrayEquals(v, b.trained().get(k), k));
        assertEquals(a.losses(), b.losses());
    }

    @Test
    void onlyTheTrainableAdapterChangesAndTheLossFalls() throws IOException {
        Run r = train(30, 3e-2);
        Map<String, float[]> before = new LinkedHashMap<>();
        try (LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32)) {
            before.putAll(values(PeftAdapterDir.load(m, "clinical", GOLDEN.resolve("clinical"))
                    .parameters()));
        }
        before.forEach((k, v) -> assertArrayEquals(v, r.clinical().get(k), "frozen clinical " + k + " must not move"));
        float first = (r.losses().get(0) + r.losses().get(1)) / 2;
        int n = r.losses().size();
        float last = (r.losses().get(n - 1) + r.losses().get(n - 2)) / 2;
        assertTrue(last < first * 0.7, "loss should fall on a fixed batch: " + first + " -> " + last);
        assertFalse(r.trained().get(LoraAdapter.SCORE_KEY)[0] == 0f);
    }

    @Test
    void trainingWithNothingTrainableIsRefused() throws IOException {
        try (LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32)) {
            PeftAdapterDir.load(m, "clinical", GOLDEN.resolve("clinical"));
            var s = new TrainingLoop.Settings(1e-3, 0, 1, 1, 0, AdamW.Settings.DEFAULT, 1);
            assertThrows(IllegalArgumentException.class, () -> new TrainingLoop(m, List.of("clinical"), s));
        }
    }

    @Test
    void scheduleWarmsUpLinearlyThenDecaysToZero() {
        LinearSchedule s = LinearSchedule.withWarmupRatio(3e-4, 0.06, 100);
        assertEquals(6, s.warmupSteps());
        assertEquals(0.0, s.lr(0));
        assertEquals(1.5e-4, s.lr(3), 1e-12);
        assertEquals(3e-4, s.lr(6), 1e-12);
        assertEquals(3e-4 * 47 / 94, s.lr(53), 1e-12);
        assertEquals(0.0, s.lr(100));
    }

    @Test
    void fractionalWarmupStepsGiveTheFirstStepRateZeroAsTransformersDoes() {
        // The paper's code passed the ratio 0.06 as num_warmup_steps: step 0 gets 0/1, then decay over T - 0.06.
        LinearSchedule s = new LinearSchedule(3e-4, 0.06, 100);
        assertEquals(0.0, s.lr(0));
        assertEquals(3e-4 * 99 / 99.94, s.lr(1), 1e-15);
        assertEquals(3e-4 * 50 / 99.94, s.lr(50), 1e-15);
        assertEquals(0.0, s.lr(100));
    }

    @Test
    void crossEntropyAndCausalLossMatchHandComputedValues() throws IOException {
        try (LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32);
                var ctx = m.newStep(false)) {
            NDArray logits = ctx.manager().create(new float[] {2f, 0f, -1f, 0f, 0f, 0f}, new Shape(2, 3));
            double row0 = -(2 - Math.log(Math.exp(2) + 1 + Math.exp(-1)));
            double row1 = Math.log(3);
            assertEquals(
                    (row0 + row1) / 2,
                    Losses.crossEntropy(ctx, logits, new long[] {0, 2}).getFloat(),
                    1e-6);
            var e = assertThrows(
                    IllegalArgumentException.class, () -> Losses.crossEntropy(ctx, logits, new long[] {0, 3}));
            assertTrue(e.getMessage().contains("outside"));
        }
    }
}
