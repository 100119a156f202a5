package org.clinlora.model.llama;

import static org.clinlora.model.llama.GoldenTest.GOLDEN;
import static org.clinlora.model.llama.GoldenTest.assertClose;
import static org.clinlora.model.llama.GoldenTest.withAdapters;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.train.Losses;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * fp16 against the fp32 PyTorch reference of {@link GoldenTest}, and the layer-recomputing backward that half bases
 * train with. Stated tolerances: fp16 logits within 1% of the largest reference logit (fp16 keeps 11 significant bits;
 * the reference logits reach ~1); gradients from the fp16 forward within 1% relative L2 error per tensor (measured
 * ~0.1%); the fp32 layer recomputation equal to the one-graph backward (1e-4 relative, as GoldenTest).
 */
class HalfPrecisionGoldenTest {
    static SafeTensorsReader expected;
    static TokenBatch batch;
    static final List<String> BOTH = List.of("clinical", "downstream");

    @BeforeAll
    static void load() throws Exception {
        expected = SafeTensors.open(GOLDEN.resolve("expected.safetensors"));
        batch = GoldenTest.inputs();
    }

    @AfterAll
    static void close() throws Exception {
        expected.close();
    }

    /** fp16 weights and fp16 arithmetic, as on CUDA: the half-precision rules checked without a GPU. */
    static final Compute CPU_FP16 = new Compute(Device.cpu(), DataType.FLOAT16, DataType.FLOAT16);

    @Test
    void fp16OnCpuHoldsHalfWeightsButComputesInFp32AndFollowsTheReference() throws Exception {
        Compute cpu = Compute.parse("cpu", "fp16");
        assertEquals(DataType.FLOAT16, cpu.dtype());
        assertEquals(
                DataType.FLOAT32,
                cpu.computeDtype(),
                "CPUs have no fast half matmul: fp16 is a storage precision there");
        try (LlamaModel m = withAdapters(cpu)) {
            for (LoraLinearView p : LoraLinearView.of(m))
                assertEquals(DataType.FLOAT16, p.weight().getDataType(), p.name());
            try (StepContext ctx = m.newStep(false)) {
                NDArray hidden = m.hiddenStates(ctx, batch, BOTH);
                assertEquals(DataType.FLOAT32, hidden.getDataType());
                assertLogitsWithinOnePercent(
                        m, "logits_both", m.lmLogits(ctx, hidden).toFloatArray());
                assertClose(
                        expected.floats("cls_both"),
                        m.classify(ctx, batch, BOTH).toFloatArray(),
                        0.01,
                        0.01,
                        "cls_both");
            }
            assertGradientsWithinOnePercent(gradientsByLayer(m));
        }
    }

    /** Logits [B,T,V] at real positions within 1 % of the largest reference logit. */
    private static void assertLogitsWithinOnePercent(LlamaModel m, String key, float[] got) {
        float[] want = expected.floats(key);
        int v = m.config().vocabSize();
        double worst = 0, scale = 0;
        for (int r = 0; r < batch.batchSize() * batch.seqLen(); r++) {
            if (batch.attentionMask()[r] == 0) continue;
            for (int j = 0; j < v; j++) {
                worst = Math.max(worst, Math.abs(want[r * v + j] - got[r * v + j]));
                scale = Math.max(scale, Math.abs(want[r * v + j]));
            }
        }
        assertTrue(worst <= 0.01 * scale, key + ": max abs error " + worst + " vs largest logit " + scale);
    }

    /** Every adapter gradient within 1 % relative L2 error of the reference. */
    private static void assertGradientsWithinOnePercent(Map<String, float[]> gradients) {
        gradients.forEach((k, g) -> {
            float[] want = expected.floats("grad." + k);
            double err = 0, norm = 0;
            for (int i = 0; i < want.length; i++) {
                err += (want[i] - g[i]) * (double) (want[i] - g[i]);
                norm += want[i] * (double) want[i];
            }
            assertTrue(Math.sqrt(err / norm) <= 0.01, "grad." + k + ": relative L2 error " + Math.sqrt(err / norm));
        });
    }

    @Test
    void anFp16BaseHoldsItsWeightsInFp16AndItsAdaptersInFp32() throws Exception {
        try (LlamaModel m = withAdapters(CPU_FP16)) {
            for (LoraLinearView p : LoraLinearView.of(m))
                assertEquals(DataType.FLOAT16, p.weight().getDataType(), p.name());
            assertEquals(
                    DataType.FLOAT32,
                    m.adapter("clinical")
                            .weights()
                            .values()
                            .iterator()
                            .next()
                            .loraA()
                            .getDataType());
        }
    }

    @Test
    void fp16LogitsFollowTheFp32Reference() throws Exception {
        try (LlamaModel m = withAdapters(CPU_FP16)) {
            for (String key : List.of("logits_base", "logits_both")) {
                List<String> active = key.equals("logits_base") ? List.of() : BOTH;
                float[] got;
                try (StepContext ctx = m.newStep(false)) {
                    got = m.lmLogits(ctx, m.hiddenStates(ctx, batch, active)).toFloatArray();
                }
                assertLogitsWithinOnePercent(m, key, got);
            }
            try (StepContext ctx = m.newStep(false)) {
                float[] cls = m.classify(ctx, m.hiddenStates(ctx, batch, BOTH), batch, BOTH)
                        .toFloatArray();
                assertClose(expected.floats("cls_both"), cls, 0.01, 0.01, "fp16 cls_both");
                assertClose(
                        expected.floats("cls_both"),
                        m.classify(ctx, batch, BOTH).toFloatArray(),
                        0.01,
                        0.01,
                        "fp16 cls_both, pooled-only last layer");
            }
        }
    }

    private static Map<String, float[]> gradientsByLayer(LlamaModel m) {
        LoraAdapter downstream = m.adapter("downstream");
        downstream.setTrainable(true);
        try (StepContext ctx = m.newStep(true)) {
            float loss = m.backwardByLayer(
                    ctx,
                    batch,
                    ActiveAdapters.all(BOTH),
                    (c, hidden) -> Losses.bceWithLogits(
                            c, m.classify(c, hidden, batch, BOTH), expected.floats("labels_multihot")),
                    1f,
                    7);
            assertClose(
                    expected.floats("loss_cls_both"),
                    new float[] {loss},
                    0,
                    m.compute().half() ? 1e-2 : 1e-5,
                    "loss_cls_both");
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> p : downstream.parameters().entrySet()) {
            String key = p.getKey().equals(LoraAdapter.SCORE_KEY) ? "score.weight" : p.getKey();
            try (NDArray g = p.getValue().getGradient()) {
                assertEquals(DataType.FLOAT32, g.getDataType(), "fp32 master gradient of " + key);
                out.put(key, g.toFloatArray());
            }
        }
        for (NDArray frozen : m.adapter("clinical").parameters().values())
            assertFalse(frozen.hasGradient(), "frozen clinical adapter");
        return out;
    }

    @Test
    void layerRecomputationGivesTheOneGraphGradients() throws Exception {
        try (LlamaModel m = withAdapters(Compute.CPU_FP32)) {
            gradientsByLayer(m)
                    .forEach((k, g) -> assertClose(expected.floats("grad." + k), g, 1e-7, 1e-4, "grad." + k));
        }
    }

    @Test
    void anFp16BaseTrainsWithFp32GradientsCloseToTheReference() throws Exception {
        try (LlamaModel m = withAdapters(CPU_FP16)) {
            assertGradientsWithinOnePercent(gradientsByLayer(m));
        }
    }

    @Test
    void bf16IsRefusedInOneLineAndTheJvmLivesOn() {
        for (String spelling : List.of("bf16", "BF16", "bfloat16")) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> Compute.parse("cpu", spelling));
            assertTrue(
                    e.getMessage().contains("bf16 is not supported")
                            && e.getMessage().contains("DJL"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line");
        }
        assertThrows(IllegalArgumentException.class, () -> Compute.parse("cuda", "bf16"));
        // Still alive, and the engine still computes: a refused precision never reached libtorch.
        try (NDManager m = NDManager.newBaseManager()) {
            assertEquals(
                    6f,
                    m.create(new float[] {1, 2, 3})
                            .toType(DataType.FLOAT16, false)
                            .sum()
                            .toType(DataType.FLOAT32, false)
                            .getFloat());
        }
        assertEquals(DataType.FLOAT16, Compute.parse("cpu", "fp16").dtype(), "fp16 works on CPU");
        assertTrue(Engine.getInstance() != null);
    }

    /** The model's projections as (name, weight) for dtype checks. */
    record LoraLinearView(String name, NDArray weight) {
        static List<LoraLinearView> of(LlamaModel m) {
            return m.projections().values().stream()
                    .map(p -> new LoraLinearView(p.name(), p.weight()))
                    .toList();
        }
    }
}
