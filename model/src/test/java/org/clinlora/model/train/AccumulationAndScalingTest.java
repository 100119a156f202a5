package org.clinlora.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TestResources;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraConfig;
import org.junit.jupiter.api.Test;

/**
 * Gradient accumulation over micro-batches of unequal size gives the gradient of one batch holding them all (the mean
 * over every predicted token, as Hugging Face ≥ 4.46), not the mean of micro-batch means; and the fp16 loss scaler
 * skips a step on overflow, backs off and grows back as torch's GradScaler.
 */
class AccumulationAndScalingTest {
    static final Path GOLDEN = TestResources.path("golden");
    static final List<String> ACTIVE = List.of("clinical");
    static final TokenBatch LONG = TokenBatch.unpadded(1, 10, new long[] {1, 20, 30, 40, 50, 60, 70, 80, 90, 100});
    static final TokenBatch SHORT = TokenBatch.unpadded(1, 3, new long[] {1, 21, 31});
    static final TokenBatch BOTH = new TokenBatch(
            2, 10, new long[] {1, 20, 30, 40, 50, 60, 70, 80, 90, 100, 1, 21, 31, 0, 0, 0, 0, 0, 0, 0}, new long[] {
                1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0
            });

    /** The clinical LoRA's gradients after the given micro-batches with their shares (no optimizer step taken). */
    static Map<String, float[]> gradients(List<TokenBatch> micro, List<Double> shares) throws Exception {
        return gradients(micro, shares, 1024, false, Compute.CPU_FP32);
    }

    /**
     * {@code chunk}: the loss as training computes it, the LM head over that many positions at a time; 0: from the
     * logits of every position. {@code recompute}: by layer recomputation, as a half-precision base trains. The
     * micro-batches' losses come back under "loss".
     */
    static Map<String, float[]> gradients(
            List<TokenBatch> micro, List<Double> shares, int chunk, boolean recompute, Compute compute)
            throws Exception {
        try (LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), compute)) {
            trainable(m, 0.0);
            Map<String, float[]> out = new LinkedHashMap<>();
            float[] losses = new float[micro.size()];
            try (TrainingLoop loop = new TrainingLoop(m, ACTIVE, settings(micro.size())).recomputeLayers(recompute)) {
                for (int i = 0; i < micro.size(); i++) {
                    TokenBatch t = micro.get(i);
                    losses[i] = loop.microStep(
                                    t,
                                    ACTIVE,
                                    (ctx, hidden) -> chunk > 0
                                            ? Losses.causalLm(ctx, m, hidden, t, chunk)
                                            : Losses.causalLm(ctx, m.lmLogits(ctx, hidden), t),
                                    shares.get(i))
                            .loss();
                }
                loop.parameters().forEach((k, v) -> out.put(k, v.getGradient().toFloatArray()));
                out.put("loss", losses);
            }
            return out;
        }
    }

    /** A new trainable clinical LoRA whose lora_B is non-zero (at zero it would give lora_A no gradient). */
    static void trainable(LlamaModel m, double dropout) {
        LoraConfig cfg =
                new LoraConfig("CAUSAL_LM", 4, 8, dropout, List.of("q_proj", "v_proj"), List.of(), false, null);
        LoraAdapter a = LoraAdapter.create(
                "clinical",
                cfg,
                m.projections(),
                m.classifierHead(),
                m.manager(),
                DataType.FLOAT32,
                0,
                m.config().hiddenSize(),
                0.02,
                3);
        m.addAdapter(a);
        a.setTrainable(true);
        JniUtils.setGradMode(false);
        a.parameters().forEach((k, v) -> {
            if (k.contains("lora_B")) v.addi(0.01f);
        });
    }

    /** Plain AdamW, and one micro-step more than {@code micro} in the window: no optimizer step is taken. */
    static TrainingLoop.Settings settings(int micro) {
        return new TrainingLoop.Settings(1e-3, 0, 1, micro + 1, 0, new AdamW.Settings(0.9, 0.999, 1e-8, 0), 1);
    }

    /**
     * The clinical LoRA's gradients (and under "loss", the loss reported) after BOTH as one micro-batch computed as
     * data-parallel parts, a row each: LONG's row with 9 of the 11 predicted tokens, SHORT's padded row with 2.
     */
    static Map<String, float[]> partGradients(double dropout) throws Exception {
        try (LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32)) {
            trainable(m, dropout);
            try (TrainingLoop loop = new TrainingLoop(m, ACTIVE, settings(1))) {
                List<TrainingLoop.Part> parts = new ArrayList<>();
                double[] shares = {9 / 11.0, 2 / 11.0};
                for (int i = 0; i < 2; i++) {
                    TokenBatch row = BOTH.rows(i, i + 1);
                    parts.add(new TrainingLoop.Part(
                            row, (ctx, hidden) -> Losses.causalLm(ctx, m, hidden, row), shares[i]));
                }
                float loss = loop.microStep(parts, ACTIVE).loss();
                Map<String, float[]> out = new LinkedHashMap<>();
                loop.parameters().forEach((k, v) -> out.put(k, v.getGradient().toFloatArray()));
                out.put("loss", new float[] {loss});
                return out;
            }
        }
    }

    @Test
    void aMicroBatchInDataParallelPartsHasTheWholeBatchLossAndGradient() throws Exception {
        assertSameLossAndGradients(
                gradients(List.of(BOTH), List.of(1.0)), partGradients(0.0), 1e-5, "two parts of unequal items");
    }

    @Test
    void partsWithDropoutRepeatBitForBit() throws Exception {
        Map<String, float[]> first = partGradients(0.1), second = partGradients(0.1);
        first.forEach((k, v) -> assertArrayEquals(v, second.get(k), k));
    }

    @Test
    void unequalMicroBatchesAccumulateToTheFullBatchGradient() throws Exception {
        // LONG predicts 9 tokens, SHORT 2: shares 9/11 and 2/11.
        Map<String, float[]> accumulated = gradients(List.of(LONG, SHORT), List.of(9 / 11.0, 2 / 11.0));
        Map<String, float[]> full = gradients(List.of(BOTH), List.of(1.0));
        Map<String, float[]> meanOfMeans = gradients(List.of(LONG, SHORT), List.of(0.5, 0.5));
        double worst = 0, differs = 0;
        full.remove("loss");
        for (String k : full.keySet()) {
            float[] f = full.get(k), acc = accumulated.get(k), mm = meanOfMeans.get(k);
            for (int i = 0; i < f.length; i++) {
                worst = Math.max(worst, Math.abs(f[i] - acc[i]) / (1e-6 + Math.abs(f[i])));
                differs = Math.max(differs, Math.abs(f[i] - mm[i]) / (1e-6 + Math.abs(f[i])));
            }
        }
        assertTrue(worst < 1e-3, "accumulated by item count vs one full batch: worst relative error " + worst);
        assertTrue(differs > 0.05, "the mean of micro-batch means is a different gradient (" + differs + ")");
    }

    @Test
    void theChunkedLmHeadGivesTheLossAndGradientsOfAllLogits() throws Exception {
        Map<String, float[]> full = gradients(List.of(BOTH), List.of(1.0), 0, false, Compute.CPU_FP32);
        // 18 predicting positions: one chunk, or six of 3 with two pad-only chunks among them.
        for (int chunk : new int[] {1024, 3}) {
            for (boolean recompute : new boolean[] {false, true}) {
                Map<String, float[]> chunked =
                        gradients(List.of(BOTH), List.of(1.0), chunk, recompute, Compute.CPU_FP32);
                assertSameLossAndGradients(full, chunked, 1e-5, "chunk " + chunk + ", recompute " + recompute);
            }
        }
        // A half base trains by recomputation with an fp32 top: the head's weight is cast for the loss. Its layers'
        // fp16 inputs widen the last-bit differences of the two losses' gradients a little on the way down.
        Compute half = Compute.parse("cpu", "fp16");
        assertSameLossAndGradients(
                gradients(List.of(BOTH), List.of(1.0), 0, true, half),
                gradients(List.of(BOTH), List.of(1.0), 3, true, half),
                1e-4,
                "fp16 base, chunk 3");
    }

    @Test
    void withoutAGraphTheChunkedLossIsTheLossOfAllLogits() throws Exception {
        try (LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32);
                StepContext ctx = m.newStep(false)) {
            NDArray hidden = m.hiddenStates(ctx, BOTH, List.of());
            float whole = Losses.causalLm(ctx, m.lmLogits(ctx, hidden), BOTH).getFloat();
            assertEquals(whole, Losses.causalLm(ctx, m, hidden, BOTH, 3).getFloat(), 1e-5 * Math.abs(whole));
            assertEquals(whole, Losses.causalLm(ctx, m, hidden, BOTH).getFloat(), 1e-5 * Math.abs(whole));
        }
    }

    /**
     * Per tensor, as {@code torch.testing.assert_close(got, expected, rtol=tolerance, atol=tolerance·max|expected|)}:
     * each element's difference within {@code tolerance × (|expected| + the tensor's largest magnitude)}. Elements near
     * zero are held to the tensor's scale rather than to their own, whose last bits depend on the CPU's summation order
     * (an element-only relative check with a 1e-6 floor gave 1.3e-4 on an AVX2 host and under 1e-4 on an AVX-512 one,
     * for the same code). This one gave 6e-7 in fp32 and 2e-6 with an fp16 base on the AVX2 host, 2026-12-07.
     */
    static void assertSameLossAndGradients(
            Map<String, float[]> expected, Map<String, float[]> got, double tolerance, String what) {
        assertEquals(expected.keySet(), got.keySet());
        double worst = 0;
        for (String k : expected.keySet()) {
            float[] e = expected.get(k), g = got.get(k);
            double scale = 0;
            for (float v : e) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < e.length; i++)
                worst = Math.max(worst, Math.abs(e[i] - g[i]) / (1e-30 + Math.abs(e[i]) + scale));
        }
        assertTrue(worst < tolerance, what + ": worst difference relative to |expected| + the tensor's scale " + worst);
    }

    @Test
    void theLossScalerSkipsOverflowsBacksOffAndGrows() {
        LossScaler s = new LossScaler();
        assertEquals(65536.0, s.scale());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.create(new float[] {1, 2});
            p.setRequiresGradient(true);
            // Gradient of sum(p * [inf, 1]) holds inf: the step is skipped, the gradient zeroed and the scale halved.
            try (var gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(p.mul(m.create(new float[] {Float.POSITIVE_INFINITY, 1}))
                        .sum());
            }
            assertFalse(s.unscaleAndCheck(Map.of("p", p), true));
            assertEquals(32768.0, s.scale());
            assertEquals(1, s.skippedSteps());
            assertEquals(0f, p.getGradient().sum().getFloat(), "zeroed after a skipped step");
        }
        for (int i = 0; i < LossScaler.GROWTH_INTERVAL; i++) s.update(true);
        assertEquals(65536.0, s.scale(), "doubles after growth_interval clean steps");
        LossScaler restored = new LossScaler();
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, float[]> saved = new LinkedHashMap<>();
            s.stateTensors(m).forEach((k, v) -> saved.put(k, v.toFloatArray()));
            restored.restore(saved);
        }
        assertEquals(s.scale(), restored.scale(), "the scale survives a checkpoint");
    }
}
