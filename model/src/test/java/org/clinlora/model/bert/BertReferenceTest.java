package org.clinlora.model.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.clinlora.model.llama.TestResources;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.train.AdamW;
import org.clinlora.model.train.Losses;
import org.clinlora.model.train.TrainingLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The BERT encoder against tensors PyTorch computed independently (bert-reference/make_reference.py, following
 * transformers' modeling_bert.py): every hidden state, the pooler output and the classification logits of a padded
 * batch; a PEFT-layout LoRA on query/value with the classifier saved as modules_to_save; one LoRA and one full
 * fine-tuning step (loss, every gradient, the AdamW update).
 */
class BertReferenceTest {
    static final Path DIR = TestResources.path("bert-reference");
    static final double TOL = 1e-4;

    record Inputs(TokenBatch batch, long[] labels) {}

    static Inputs inputs() throws IOException {
        try (SafeTensorsReader r = SafeTensors.open(DIR.resolve("inputs.safetensors"))) {
            long[] shape = r.entry("input_ids").shape();
            return new Inputs(
                    new TokenBatch((int) shape[0], (int) shape[1], r.longs("input_ids"), r.longs("attention_mask")),
                    r.longs("labels"));
        }
    }

    /** The largest difference seen in the running test, printed at its end (the numbers behind "matches to 1e-4"). */
    static double worstSeen;

    static void assertClose(float[] expected, float[] got, String what) {
        assertEquals(expected.length, got.length, what + ": size");
        double worst = 0;
        for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - got[i]));
        assertTrue(worst < TOL, what + ": max abs diff " + worst);
        worstSeen = Math.max(worstSeen, worst);
    }

    @BeforeEach
    void reset() {
        worstSeen = 0;
    }

    @AfterEach
    void report(TestInfo info) {
        System.out.printf(
                "RESULT BERT reference %s: max abs diff %.2e%n",
                info.getTestMethod().orElseThrow().getName(), worstSeen);
    }

    @Test
    void hiddenStatesPooledOutputAndLogitsOfAPaddedBatchMatchPyTorch() throws IOException {
        Inputs in = inputs();
        try (BaseModel loaded = BaseModel.load(DIR.resolve("base"), Compute.CPU_FP32);
                SafeTensorsReader want = SafeTensors.open(DIR.resolve("expected.safetensors"))) {
            BertModel m = (BertModel) loaded;
            assertEquals(0, m.config().padTokenId());
            try (StepContext ctx = m.newStep(false)) {
                List<NDArray> hidden = m.allHiddenStates(ctx, in.batch(), ActiveAdapters.all(List.of()));
                assertEquals(m.config().numHiddenLayers() + 1, hidden.size());
                for (int i = 0; i < hidden.size(); i++)
                    assertClose(want.floats("hidden_states." + i), hidden.get(i).toFloatArray(), "hidden_states." + i);
                NDArray pooled = m.pooledHiddenStates(ctx, in.batch(), ActiveAdapters.all(List.of()));
                assertClose(want.floats("pooled"), pooled.toFloatArray(), "pooled");
                assertClose(
                        want.floats("logits"),
                        m.classify(ctx, in.batch(), List.of()).toFloatArray(),
                        "logits");
            }
        }
    }

    @Test
    void thatLoraReadForServingPacksItsPairsAndGivesTheSameLogits() throws IOException {
        Inputs in = inputs();
        try (BaseModel m = BaseModel.load(DIR.resolve("base"), Compute.CPU_FP32);
                SafeTensorsReader want = SafeTensors.open(DIR.resolve("expected.safetensors"))) {
            LoraAdapter a = PeftAdapterDir.readForServing(m, "lora", DIR.resolve("adapter"));
            assertTrue(a.weights().values().stream().allMatch(w -> w.isPacked()));
            assertNotNull(a.head().bias(), "BERT's classifier keeps its bias");
            m.addAdapter(a);
            int arrays = m.manager().getManagedArrays().size();
            for (int step = 0; step < 2; step++) {
                try (StepContext ctx = m.newStep(false)) {
                    assertClose(
                            want.floats("lora_logits"),
                            m.classify(ctx, in.batch(), List.of("lora")).toFloatArray(),
                            "packed logits");
                }
                // Nothing of a forward stays in the model's manager: the pairs' views, and the embeddings' views of
                // their weights (before, two per forward stayed there for good).
                assertEquals(arrays, m.manager().getManagedArrays().size(), "step " + step);
            }
        }
    }

    @Test
    void aPeftLoraOnQueryAndValueWithItsClassifierMatchesPyTorch() throws IOException {
        Inputs in = inputs();
        try (BaseModel m = BaseModel.load(DIR.resolve("base"), Compute.CPU_FP32);
                SafeTensorsReader want = SafeTensors.open(DIR.resolve("expected.safetensors"))) {
            LoraAdapter a = PeftAdapterDir.load(m, "lora", DIR.resolve("adapter"));
            assertEquals(2 * m.config().numHiddenLayers(), a.weights().size(), "query and value of every layer");
            assertEquals(3, a.numLabels());
            assertNotNull(a.head().bias(), "BERT's classifier has a bias");
            try (StepContext ctx = m.newStep(false)) {
                assertClose(
                        want.floats("lora_pooled"),
                        m.pooledHiddenStates(ctx, in.batch(), ActiveAdapters.all(List.of("lora")))
                                .toFloatArray(),
                        "pooled");
                assertClose(
                        want.floats("lora_logits"),
                        m.classify(ctx, in.batch(), List.of("lora")).toFloatArray(),
                        "logits");
                // Merged into the base weights, the same logits.
                m.merge("lora");
                assertClose(
                        want.floats("lora_logits"),
                        m.classify(ctx, in.batch(), List.of("lora")).toFloatArray(),
                        "merged logits");
                m.unmerge("lora");
            }
        }
    }

    static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    static TrainingLoop.Settings oneStep(double lr, int accumulation) {
        return new TrainingLoop.Settings(lr, 0.0, 1, accumulation, 0.0, new AdamW.Settings(0.9, 0.999, 1e-8, 0.01), 7);
    }

    static BaseModel.Head crossEntropy(BaseModel m, Inputs in, List<String> active) {
        return (ctx, hidden) -> Losses.crossEntropy(ctx, m.classify(ctx, hidden, in.batch(), active), in.labels());
    }

    @Test
    void oneLoraStepGivesPyTorchsLossGradientsAndAdamWUpdate() throws IOException {
        Inputs in = inputs();
        try (SafeTensorsReader want = SafeTensors.open(DIR.resolve("lora_step.safetensors"))) {
            // Gradients: one micro-step of an accumulation window, read before any optimizer step.
            try (BaseModel m = BaseModel.load(DIR.resolve("base"), Compute.CPU_FP32)) {
                PeftAdapterDir.load(m, "lora", DIR.resolve("adapter")).setTrainable(true);
                try (TrainingLoop loop = new TrainingLoop(m, List.of("lora"), oneStep(1e-2, 2))) {
                    TrainingLoop.StepResult r =
                            loop.microStep(in.batch(), List.of("lora"), crossEntropy(m, in, List.of("lora")), 1.0);
                    assertEquals(want.floats("loss")[0], r.loss(), TOL, "loss");
                    assertEquals(
                            m.config().numHiddenLayers() * 4 + 2,
                            loop.parameters().size(),
                            "lora_A/B of query and value, classifier weight and bias");
                    for (Map.Entry<String, NDArray> p : loop.parameters().entrySet()) {
                        String key = p.getKey().substring("lora/".length());
                        assertClose(
                                want.floats("grad/" + key),
                                p.getValue().getGradient().toFloatArray(),
                                "grad " + key);
                    }
                }
            }
            // The update: one optimizer step.
            try (BaseModel m = BaseModel.load(DIR.resolve("base"), Compute.CPU_FP32)) {
                PeftAdapterDir.load(m, "lora", DIR.resolve("adapter")).setTrainable(true);
                try (TrainingLoop loop = new TrainingLoop(m, List.of("lora"), oneStep(1e-2, 1))) {
                    assertTrue(loop.microStep(in.batch(), List.of("lora"), crossEntropy(m, in, List.of("lora")))
                            .optimizerStepped());
                    for (Map.Entry<String, NDArray> p : loop.parameters().entrySet()) {
                        String key = p.getKey().substring("lora/".length());
                        assertClose(want.floats("updated/" + key), p.getValue().toFloatArray(), "updated " + key);
                    }
                }
            }
        }
    }

    @Test
    void oneFullFineTuningStepGivesPyTorchsLossGradientsAndAdamWUpdate() throws IOException {
        Inputs in = inputs();
        try (SafeTensorsReader want = SafeTensors.open(DIR.resolve("full_step.safetensors"))) {
            try (BaseModel m = BaseModel.load(DIR.resolve("base"), Compute.CPU_FP32)) {
                Map<String, NDArray> params = m.fullFineTuning(3, 1);
                assertEquals(
                        want.entries().keySet().stream()
                                .filter(k -> k.startsWith("grad/"))
                                .count(),
                        params.size(),
                        "every parameter trains");
                try (TrainingLoop loop = new TrainingLoop(m, params, oneStep(1e-3, 2))) {
                    TrainingLoop.StepResult r =
                            loop.microStep(in.batch(), List.of(), crossEntropy(m, in, List.of()), 1.0);
                    assertEquals(want.floats("loss")[0], r.loss(), TOL, "loss");
                    for (Map.Entry<String, NDArray> p : params.entrySet()) {
                        assertClose(
                                want.floats("grad/" + p.getKey()),
                                p.getValue().getGradient().toFloatArray(),
                                "grad " + p.getKey());
                    }
                }
            }
            try (BaseModel m = BaseModel.load(DIR.resolve("base"), Compute.CPU_FP32)) {
                Map<String, NDArray> params = m.fullFineTuning(3, 1);
                try (TrainingLoop loop = new TrainingLoop(m, params, oneStep(1e-3, 1))) {
                    assertTrue(loop.microStep(in.batch(), List.of(), crossEntropy(m, in, List.of()))
                            .optimizerStepped());
                    int compared = 0;
                    for (Map.Entry<String, NDArray> p : params.entrySet()) {
                        // The key bias's true gradient is zero (it shifts every score of a query alike, which softmax
                        // ignores);
                        // both sides hold rounding noise there, and Adam's first step turns any noise into ±lr.
                        if (maxAbs(want.floats("grad/" + p.getKey())) < 1e-6) continue;
                        assertClose(
                                want.floats("updated/" + p.getKey()),
                                p.getValue().toFloatArray(),
                                "updated " + p.getKey());
                        compared++;
                    }
                    assertEquals(
                            params.size() - m.config().numHiddenLayers(),
                            compared,
                            "every update compared but the key biases'");
                }
            }
        }
    }
}
