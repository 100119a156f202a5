package org.clinlora.model.llama;

import static org.clinlora.model.llama.GoldenTest.GOLDEN;
import static org.clinlora.model.llama.GoldenTest.assertClose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import java.util.SplittableRandom;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.PeftAdapterDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A forward without a graph computes attention in causal blocks of query rows and writes elementwise results into fresh
 * intermediates; under a graph (training's path) it multiplies the whole score matrix and allocates every result. Long
 * notes must score the same either way, up to float rounding: every position's hidden state (padding included: each
 * query row keeps its first key) and the classification logits, for right-padded rows whose lengths end inside, at,
 * just after and before a block boundary (blocks of 128 rows at 256 positions, of 133 at 400).
 */
class BlockedAttentionTest {

    @ParameterizedTest(name = "{0} positions")
    @ValueSource(ints = {256, 400})
    void longNotesScoreAsTheWholeScoreMatrixDoes(int seqLen) throws Exception {
        int[] lengths = {seqLen, 190, 129, 128, 64, 1};
        TokenBatch batch = rightPadded(lengths, seqLen);
        List<String> stack = List.of("clinical", "downstream");
        try (LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32)) {
            PeftAdapterDir.load(m, "clinical", GOLDEN.resolve("clinical"));
            PeftAdapterDir.load(m, "downstream", GOLDEN.resolve("downstream"));
            try (StepContext ctx = m.newStep(false)) {
                NDArray blocked = m.hiddenStates(ctx, batch, stack);
                float[] blockedLogits = m.classify(ctx, batch, stack).toFloatArray();
                JniUtils.setGradMode(true); // the whole-matrix, allocating path
                NDArray whole;
                float[] wholeLogits;
                try {
                    whole = m.hiddenStates(ctx, batch, stack);
                    wholeLogits = m.classify(ctx, batch, stack).toFloatArray();
                } finally {
                    JniUtils.setGradMode(false);
                }
                for (int r = 0; r < lengths.length; r++) {
                    NDIndex row = new NDIndex("{}, :, :", r);
                    assertClose(
                            whole.get(row).toFloatArray(),
                            blocked.get(row).toFloatArray(),
                            2e-5,
                            1e-5,
                            "row " + r + " (" + lengths[r] + " tokens): hidden states");
                }
                assertClose(wholeLogits, blockedLogits, 2e-5, 1e-5, "classification logits");
            }
        }
    }

    /** Random ids after a BOS, right-padded with id 0 (the golden base's pad_token_id). */
    static TokenBatch rightPadded(int[] lengths, int seqLen) {
        SplittableRandom rnd = new SplittableRandom(7);
        long[] ids = new long[lengths.length * seqLen], mask = new long[ids.length];
        for (int r = 0; r < lengths.length; r++) {
            for (int p = 0; p < lengths[r]; p++) {
                ids[r * seqLen + p] = p == 0 ? 1 : 3 + rnd.nextInt(253);
                mask[r * seqLen + p] = 1;
            }
        }
        return new TokenBatch(lengths.length, seqLen, ids, mask);
    }
}
