package org.clinlora.model.llama;

import static org.clinlora.model.llama.GoldenTest.GOLDEN;
import static org.clinlora.model.llama.GoldenTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.core.Linear;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.PeftAdapterDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LlamaForSequenceClassification pools the rightmost token whose id is not {@code pad_token_id}, not the last position
 * the attention mask marks real: they differ when pad = eos and rows end with EOS, or when a real token is the pad id;
 * and it refuses batches of more than one row when config.json has no pad_token_id.
 */
class SequenceClassificationPoolingTest {
    static final List<String> STACK = List.of("downstream");

    /** The golden base with config.json's pad_token_id replaced (null removes it). */
    static Path baseWithPad(Path tmp, Integer pad) throws Exception {
        Path dir = tmp.resolve("base-pad-" + pad);
        Files.createDirectories(dir);
        for (String f : List.of("model.safetensors"))
            Files.copy(GOLDEN.resolve("base").resolve(f), dir.resolve(f));
        String config = Files.readString(GOLDEN.resolve("base/config.json"))
                .replace("\"pad_token_id\": 0,", pad == null ? "" : "\"pad_token_id\": " + pad + ",");
        Files.writeString(dir.resolve("config.json"), config);
        return dir;
    }

    /** score(hidden[row, index]) computed by hand: what Hugging Face returns for that row. */
    static float[] scoredAt(LlamaModel m, StepContext ctx, NDArray hidden, int row, int index) {
        NDArray h = hidden.get(new NDIndex(row + "," + index + ",:")).reshape(1, -1);
        return Linear.linear(h, m.adapter("downstream").score())
                .singletonOrThrow()
                .toFloatArray();
    }

    @Test
    void padEqualsEosAndEosTerminatedRowsPoolTheTokenBeforeTheEos(@TempDir Path tmp) throws Exception {
        try (LlamaModel m = LlamaModel.load(baseWithPad(tmp, 2), Compute.CPU_FP32)) {
            PeftAdapterDir.load(m, "downstream", GOLDEN.resolve("downstream"));
            // Row 0: 5 tokens then EOS (real, attention 1) then EOS padding; row 1: full length ending in EOS.
            long[] ids = {1, 17, 99, 45, 2, 2, 2, 2, /* */ 1, 8, 23, 42, 77, 5, 9, 2};
            long[] mask = {1, 1, 1, 1, 1, 0, 0, 0, /* */ 1, 1, 1, 1, 1, 1, 1, 1};
            TokenBatch batch = new TokenBatch(2, 8, ids, mask);
            try (StepContext ctx = m.newStep(false)) {
                NDArray hidden = m.hiddenStates(ctx, batch, STACK);
                float[] got = m.classify(ctx, hidden, batch, STACK).toFloatArray();
                float[] row0 = scoredAt(m, ctx, hidden, 0, 3), row1 = scoredAt(m, ctx, hidden, 1, 6);
                assertClose(row0, Arrays.copyOfRange(got, 0, 3), 1e-6, 0, "row 0 pools token 3 (45), not the EOS at 4");
                assertClose(row1, Arrays.copyOfRange(got, 3, 6), 1e-6, 0, "row 1 pools token 6 (9), not the final EOS");
                assertClose(
                        got,
                        m.classify(ctx, batch, STACK).toFloatArray(),
                        1e-5,
                        0,
                        "the pooled-only last layer, same rows");
            }
        }
    }

    @Test
    void aRealTokenEqualToThePadIdIsSkippedAsHuggingFaceDoes(@TempDir Path tmp) throws Exception {
        try (LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32)) { // pad_token_id 0
            PeftAdapterDir.load(m, "downstream", GOLDEN.resolve("downstream"));
            long[] ids = {1, 17, 99, 0, 0, 0}; // the 0 at position 3 is real (attention 1)
            long[] mask = {1, 1, 1, 1, 0, 0};
            TokenBatch batch = new TokenBatch(1, 6, ids, mask);
            try (StepContext ctx = m.newStep(false)) {
                NDArray hidden = m.hiddenStates(ctx, batch, STACK);
                assertClose(
                        scoredAt(m, ctx, hidden, 0, 2),
                        m.classify(ctx, hidden, batch, STACK).toFloatArray(),
                        1e-6,
                        0,
                        "pools token 2");
            }
        }
    }

    @Test
    void withoutAPadTokenOnlyABatchOfOneIsClassified(@TempDir Path tmp) throws Exception {
        try (LlamaModel m = LlamaModel.load(baseWithPad(tmp, null), Compute.CPU_FP32)) {
            PeftAdapterDir.load(m, "downstream", GOLDEN.resolve("downstream"));
            TokenBatch two = TokenBatch.unpadded(2, 4, new long[] {1, 5, 6, 7, 1, 8, 9, 10});
            try (StepContext ctx = m.newStep(false)) {
                NDArray hidden = m.hiddenStates(ctx, two, STACK);
                IllegalArgumentException e =
                        assertThrows(IllegalArgumentException.class, () -> m.classify(ctx, hidden, two, STACK));
                assertTrue(e.getMessage().contains("pad_token_id"), e.getMessage());
            }
            TokenBatch one = TokenBatch.unpadded(1, 4, new long[] {1, 5, 6, 2});
            try (StepContext ctx = m.newStep(false)) {
                NDArray hidden = m.hiddenStates(ctx, one, STACK);
                assertClose(
                        scoredAt(m, ctx, hidden, 0, 3),
                        m.classify(ctx, hidden, one, STACK).toFloatArray(),
                        1e-6,
                        0,
                        "last position");
            }
        }
    }
}
