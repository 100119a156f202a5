package org.clinlora.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.train.AdamW;
import org.clinlora.model.train.Losses;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The decoder, stacked LoRA, losses, gradients and one AdamW step against reference tensors made with PyTorch following
 * Hugging Face LlamaForCausalLM / LlamaForSequenceClassification and PEFT (src/test/resources/golden, see its README).
 * Tolerances are the ones the reference states for a correct fp32 implementation.
 */
class GoldenTest {
    static final Path GOLDEN = TestResources.path("golden");
    static LlamaModel model;
    static SafeTensorsReader expected;
    static TokenBatch batch;

    @BeforeAll
    static void load() throws Exception {
        model = withAdapters(Compute.CPU_FP32);
        expected = SafeTensors.open(GOLDEN.resolve("expected.safetensors"));
        batch = inputs();
    }

    /** The reference base with its two reference adapters, clinical then downstream. */
    static LlamaModel withAdapters(Compute compute) throws Exception {
        LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), compute);
        PeftAdapterDir.load(m, "clinical", GOLDEN.resolve("clinical"));
        PeftAdapterDir.load(m, "downstream", GOLDEN.resolve("downstream"));
        return m;
    }

    /** The reference's three padded rows of 12 tokens. */
    static TokenBatch inputs() throws Exception {
        try (SafeTensorsReader in = SafeTensors.open(GOLDEN.resolve("inputs.safetensors"))) {
            return new TokenBatch(3, 12, in.longs("input_ids"), in.longs("attention_mask"));
        }
    }

    @AfterAll
    static void close() throws Exception {
        expected.close();
        model.close();
    }

    private float[] logits(List<String> active) {
        try (StepContext ctx = model.newStep(false)) {
            return model.lmLogits(ctx, model.hiddenStates(ctx, batch, active)).toFloatArray();
        }
    }

    /** Compares [B,T,V] logits at real positions only (padded query rows are undefined). */
    private void assertLogits(String key, float[] actual) {
        float[] want = expected.floats(key);
        int v = model.config().vocabSize();
        double worst = 0;
        for (int r = 0; r < batch.batchSize() * batch.seqLen(); r++) {
            if (batch.attentionMask()[r] == 0) continue;
            for (int j = 0; j < v; j++) worst = Math.max(worst, Math.abs(want[r * v + j] - actual[r * v + j]));
        }
        assertTrue(worst <= 1e-4, key + ": max abs error " + worst);
    }

    static void assertClose(float[] want, float[] got, double abs, double rel, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            double tol = abs + rel * Math.abs(want[i]);
            assertTrue(Math.abs(want[i] - got[i]) <= tol, what + "[" + i + "]: want " + want[i] + " got " + got[i]);
        }
    }

    @Test
    void baseLogitsMatchLlamaForCausalLM() {
        assertLogits("logits_base", logits(List.of()));
    }

    @Test
    void oneAdapterLogitsMatchPeft() {
        assertLogits("logits_clinical", logits(List.of("clinical")));
    }

    @Test
    void twoStackedAdaptersSumTheirDeltas() {
        assertLogits("logits_both", logits(List.of("clinical", "downstream")));
    }

    @Test
    void classificationLogitsPoolTheLastRealToken() {
        try (StepContext ctx = model.newStep(false)) {
            NDArray score = model.adapter("downstream").score();
            float[] base = model.classify(ctx, model.hiddenStates(ctx, batch, List.of()), batch, score)
                    .toFloatArray();
            assertClose(expected.floats("cls_base"), base, 1e-4, 0, "cls_base");
            List<String> both = List.of("clinical", "downstream");
            float[] cls = model.classify(ctx, model.hiddenStates(ctx, batch, both), batch, both)
                    .toFloatArray();
            assertClose(expected.floats("cls_both"), cls, 1e-4, 0, "cls_both");
        }
    }

    @Test
    void theInferencePathThatRunsTheLastLayerAtThePooledTokensOnlyGivesTheSameLogits() {
        try (StepContext ctx = model.newStep(false)) {
            NDArray pooled = model.pooledHiddenStates(ctx, batch, ActiveAdapters.all(List.of()));
            float[] base = model.scorePooled(pooled, model.adapter("downstream").score())
                    .toFloatArray();
            assertClose(expected.floats("cls_base"), base, 1e-4, 0, "cls_base");
            float[] both = model.classify(ctx, batch, List.of("clinical", "downstream"))
                    .toFloatArray();
            assertClose(expected.floats("cls_both"), both, 1e-4, 0, "cls_both");
        }
    }

    @Test
    void causalLmLossIgnoresPadsAndShifts() {
        try (StepContext ctx = model.newStep(false)) {
            NDArray logits = model.lmLogits(ctx, model.hiddenStates(ctx, batch, List.of("clinical")));
            float loss = Losses.causalLm(ctx, logits, batch).getFloat();
            assertClose(expected.floats("loss_lm_clinical"), new float[] {loss}, 0, 1e-5, "loss_lm_clinical");
        }
    }

    @Test
    void gradientsReachOnlyTheTrainableAdapterAndOneAdamWStepMatchesTorch() throws Exception {
        // A private copy of the model: this test updates weights.
        try (LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32)) {
            LoraAdapter clinical = PeftAdapterDir.load(m, "clinical", GOLDEN.resolve("clinical"));
            LoraAdapter downstream = PeftAdapterDir.load(m, "downstream", GOLDEN.resolve("downstream"));
            downstream.setTrainable(true);
            List<String> both = List.of("clinical", "downstream");
            Map<String, NDArray> params = downstream.parameters();
            try (StepContext ctx = m.newStep(true);
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray cls = m.classify(ctx, m.hiddenStates(ctx, batch, both), batch, both);
                NDArray loss = Losses.bceWithLogits(ctx, cls, expected.floats("labels_multihot"));
                assertClose(expected.floats("loss_cls_both"), new float[] {loss.getFloat()}, 0, 1e-5, "loss_cls_both");
                gc.backward(loss);
            }
            for (Map.Entry<String, NDArray> p : params.entrySet()) {
                String key = p.getKey().equals(LoraAdapter.SCORE_KEY) ? "score.weight" : p.getKey();
                try (NDArray g = p.getValue().getGradient()) {
                    assertClose(expected.floats("grad." + key), g.toFloatArray(), 1e-7, 1e-4, "grad." + key);
                }
            }
            for (NDArray frozen : clinical.parameters().values()) {
                assertTrue(!frozen.hasGradient(), "the frozen clinical adapter must get no gradient");
            }
            try (AdamW opt = new AdamW(m.manager(), new AdamW.Settings(0.9, 0.999, 1e-8, 0.01))) {
                opt.step(params, 1e-3);
            }
            for (Map.Entry<String, NDArray> p : params.entrySet()) {
                String key = p.getKey().equals(LoraAdapter.SCORE_KEY) ? "score.weight" : p.getKey();
                assertClose(
                        expected.floats("after_adamw_step1." + key),
                        p.getValue().toFloatArray(),
                        1e-7,
                        1e-4,
                        "after_adamw_step1." + key);
            }
        }
    }

    @Test
    void mergingBothAdaptersGivesTheReferenceWeightAndTheSameLogits() throws Exception {
        try (LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32)) {
            PeftAdapterDir.load(m, "clinical", GOLDEN.resolve("clinical"));
            PeftAdapterDir.load(m, "downstream", GOLDEN.resolve("downstream"));
            List<String> both = List.of("clinical", "downstream");
            float[] unmerged;
            try (StepContext ctx = m.newStep(false)) {
                unmerged = m.lmLogits(ctx, m.hiddenStates(ctx, batch, both)).toFloatArray();
            }
            m.merge("clinical");
            m.merge("downstream");
            String q0 = "model.layers.0.self_attn.q_proj";
            assertClose(
                    expected.floats("merged." + q0 + ".weight"),
                    m.projections().get(q0).weight().toFloatArray(),
                    1e-5,
                    1e-4,
                    "merged q_proj");
            float[] merged;
            try (StepContext ctx = m.newStep(false)) {
                merged = m.lmLogits(ctx, m.hiddenStates(ctx, batch, both)).toFloatArray();
            }
            assertClose(unmerged, merged, 1e-4, 0, "merged forward vs unmerged forward");
            m.unmerge("downstream");
            m.unmerge("clinical");
            float[] base = GOLDEN_BASE_Q0();
            assertClose(
                    base, m.projections().get(q0).weight().toFloatArray(), 1e-6, 0, "unmerge restores the base weight");
        }
    }

    private static float[] GOLDEN_BASE_Q0() throws Exception {
        try (SafeTensorsReader r = SafeTensors.open(GOLDEN.resolve("base/model.safetensors"))) {
            return r.floats("model.layers.0.self_attn.q_proj.weight");
        }
    }
}
