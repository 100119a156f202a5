package org.clinlora.model.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.HfModelDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Llama 3.1 rope scaling ({@code rope_type: "llama3"}) against an independent PyTorch reference written from the
 * published formula (src/test/resources/rope-llama3, see its README): the scaled frequencies, the cos/sin tables over
 * 128 positions (twice original_max_position_embeddings) and a whole decoder's hidden states and logits. The
 * reference's frequencies take all three branches: kept, stretched by factor, and blended.
 */
class RopeLlama3ReferenceTest {
    static final Path FIXTURE = TestResources.path("rope-llama3");
    static final ObjectMapper JSON = new ObjectMapper();
    static LlamaModel model;
    static SafeTensorsReader expected;
    static TokenBatch batch;

    @BeforeAll
    static void load() throws Exception {
        model = LlamaModel.load(FIXTURE.resolve("base"), Compute.CPU_FP32);
        expected = SafeTensors.open(FIXTURE.resolve("expected.safetensors"));
        try (SafeTensorsReader in = SafeTensors.open(FIXTURE.resolve("inputs.safetensors"))) {
            long[] shape = in.entry("input_ids").shape();
            batch = new TokenBatch((int) shape[0], (int) shape[1], in.longs("input_ids"), in.longs("attention_mask"));
        }
    }

    @AfterAll
    static void close() throws Exception {
        expected.close();
        model.close();
    }

    @Test
    void scaledFrequenciesFollowTheLlama31Formula() {
        assertEquals("llama3", model.config().ropeScaling().type());
        float[] want = expected.floats("inv_freq");
        float[] got = new RotaryEmbedding(model.config()).invFreq();
        GoldenTest.assertClose(want, got, 0, 1e-6, "inv_freq");
    }

    @Test
    void cosAndSinTablesMatchOverPositionsPastTheOriginalContext() {
        try (StepContext ctx = model.newStep(false)) {
            NDList cosSin = new RotaryEmbedding(model.config()).cosSin(ctx, batch.seqLen());
            GoldenTest.assertClose(expected.floats("cos"), cosSin.get(0).toFloatArray(), 1e-5, 0, "cos");
            GoldenTest.assertClose(expected.floats("sin"), cosSin.get(1).toFloatArray(), 1e-5, 0, "sin");
        }
    }

    @Test
    void hiddenStatesAndLogitsMatchTheReferenceDecoder() {
        float[][] out = forward(model);
        assertRealPositions("hidden_states", expected.floats("hidden_states"), out[0], 1e-4);
        assertRealPositions("logits", expected.floats("logits"), out[1], 1e-4);
    }

    @Test
    void theV5RopeParametersFormReadsAsTheSameModel(@TempDir Path tmp) throws Exception {
        Path v5 = modelDir(tmp, JSON.readTree(FIXTURE.resolve("config_v5.json").toFile()));
        try (LlamaModel m = LlamaModel.load(v5, Compute.CPU_FP32)) {
            assertEquals(model.config(), m.config());
            float[][] want = forward(model), got = forward(m);
            assertArrayEquals(want[0], got[0], "hidden_states");
            assertArrayEquals(want[1], got[1], "logits");
        }
    }

    /** Guards the fixture itself: without the scaling the same weights give visibly different logits. */
    @Test
    void theReferenceDependsOnTheScaling(@TempDir Path tmp) throws Exception {
        ObjectNode plain = (ObjectNode)
                JSON.readTree(FIXTURE.resolve("base").resolve(HfModelDir.CONFIG).toFile());
        plain.putNull("rope_scaling");
        try (LlamaModel m = LlamaModel.load(modelDir(tmp, plain), Compute.CPU_FP32)) {
            float[] want = expected.floats("logits"), got = forward(m)[1];
            assertTrue(maxRealError(want, got) > 0.05, "plain rope reproduces the llama3-scaled reference");
        }
    }

    /** [hidden states, logits] of the whole batch, no adapters. */
    private static float[][] forward(LlamaModel m) {
        try (StepContext ctx = m.newStep(false)) {
            var hidden = m.hiddenStates(ctx, batch, List.of());
            return new float[][] {hidden.toFloatArray(), m.lmLogits(ctx, hidden).toFloatArray()};
        }
    }

    /** The fixture's weights under another config.json. */
    private static Path modelDir(Path tmp, Object config) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        Files.copy(FIXTURE.resolve("base").resolve(HfModelDir.WEIGHTS), dir.resolve(HfModelDir.WEIGHTS));
        JSON.writeValue(dir.resolve(HfModelDir.CONFIG).toFile(), config);
        return dir;
    }

    /** Compares [B, T, n] rows where attention_mask is 1 (padded query rows are undefined). */
    private static void assertRealPositions(String key, float[] want, float[] got, double abs) {
        assertEquals(want.length, got.length, key + ": length");
        double worst = maxRealError(want, got);
        assertTrue(worst <= abs, key + ": max abs error " + worst);
    }

    private static double maxRealError(float[] want, float[] got) {
        int rows = batch.batchSize() * batch.seqLen(), n = want.length / rows;
        double worst = 0;
        for (int r = 0; r < rows; r++) {
            if (batch.attentionMask()[r] == 0) continue;
            for (int j = 0; j < n; j++) worst = Math.max(worst, Math.abs(want[r * n + j] - got[r * n + j]));
        }
        return worst;
    }
}
