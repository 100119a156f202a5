package org.clinlora.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.clinlora.model.base.StepContext;
import org.junit.jupiter.api.Test;

/**
 * The chunked causal-LM loss and its gradient with respect to the hidden states against the same cross-entropy computed
 * in double precision, including a target whose probability is below what fp32's softmax can carry (the loss reads it
 * from log_softmax then).
 */
class ChunkedCausalLmLossTest {
    /** A 5-token vocabulary in 2 dimensions. */
    static final float[][] HEAD = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}, {0.5f, 0.5f}};

    static final long[] TARGETS = {4, 1, 2};
    static final float[] WEIGHTS = {1 / 3f, 1 / 3f, 1 / 3f};

    record Result(float loss, float[] gradient) {}

    /** The loss and ∂loss/∂h for hidden states [1, 3, 2], in chunks of {@code chunk} positions, through autograd. */
    static Result chunked(float[] hidden, int chunk) {
        try (NDManager root = NDManager.newBaseManager();
                StepContext ctx = new StepContext(root, DataType.FLOAT32, true)) {
            float[] flatHead = new float[HEAD.length * 2];
            for (int v = 0; v < HEAD.length; v++) System.arraycopy(HEAD[v], 0, flatHead, v * 2, 2);
            NDArray head = ctx.manager().create(flatHead, new Shape(HEAD.length, 2));
            NDArray h = ctx.manager().create(hidden, new Shape(1, 3, 2));
            h.setRequiresGradient(true);
            float loss;
            try (var gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = ChunkedCausalLmLoss.loss(ctx, head, h, TARGETS, WEIGHTS, chunk);
                loss = l.getFloat();
                gc.backward(l);
            }
            return new Result(loss, h.getGradient().toFloatArray());
        }
    }

    /** −Σ w log softmax(h Wᵀ)[y] and w (softmax · W − W[y]), in double. */
    static double[] reference(float[] hidden) {
        double[] out = new double[1 + hidden.length];
        for (int i = 0; i < TARGETS.length; i++) {
            double[] logits = new double[HEAD.length];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int v = 0; v < HEAD.length; v++) {
                logits[v] = hidden[2 * i] * HEAD[v][0] + hidden[2 * i + 1] * HEAD[v][1];
                max = Math.max(max, logits[v]);
            }
            for (double z : logits) sum += Math.exp(z - max);
            double lse = max + Math.log(sum);
            out[0] -= WEIGHTS[i] * (logits[(int) TARGETS[i]] - lse);
            for (int d = 0; d < 2; d++) {
                double g = -HEAD[(int) TARGETS[i]][d];
                for (int v = 0; v < HEAD.length; v++) g += Math.exp(logits[v] - lse) * HEAD[v][d];
                out[1 + 2 * i + d] = WEIGHTS[i] * g;
            }
        }
        return out;
    }

    static void assertMatchesReference(float[] hidden, int chunk) {
        Result got = chunked(hidden, chunk);
        double[] want = reference(hidden);
        assertTrue(Float.isFinite(got.loss()), "a finite loss, got " + got.loss());
        assertEquals(want[0], got.loss(), 1e-5 * Math.abs(want[0]), "loss, chunks of " + chunk);
        for (int i = 0; i < got.gradient().length; i++) {
            assertEquals(want[1 + i], got.gradient()[i], 1e-6, "∂loss/∂h[" + i + "], chunks of " + chunk);
        }
    }

    @Test
    void lossAndGradientAreTheCrossEntropyOfAllLogits() {
        float[] hidden = {0.3f, -1.2f, 2.0f, 0.5f, -0.7f, 0.1f};
        for (int chunk : new int[] {1, 2, 3, 100}) assertMatchesReference(hidden, chunk);
    }

    @Test
    void aTargetFarBelowTheOthersKeepsItsFiniteLoss() {
        // Position 2 predicts token 2 with logit −60 against 60 for token 0: p = e^−120 ≈ 8e−53, zero in fp32, so the
        // loss of that position (120 nats) comes from log_softmax; in chunks of 1 or 2, the others' from the softmax.
        float[] hidden = {0.3f, -1.2f, 2.0f, 0.5f, 60f, 0f};
        assertTrue(reference(hidden)[0] > 40, "the reference loss holds the 120 nats");
        for (int chunk : new int[] {1, 2, 3}) assertMatchesReference(hidden, chunk);
    }

    @Test
    void aTargetBelowFp32sNormalRangeIsNotReadFromTheSoftmax() {
        // e^−100 ≈ 3.7e−44 is a subnormal fp32 number: a softmax still gives it, about 2 % off, which would put the
        // loss 0.01 nats off; the threshold sends it to log_softmax.
        float[] hidden = {0.3f, -1.2f, 2.0f, 0.5f, 50f, 0f};
        for (int chunk : new int[] {1, 2, 3}) assertMatchesReference(hidden, chunk);
    }

    @Test
    void eachChunkTakesTheSoftmaxUnlessACountedTargetIsBelowTheThreshold() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray head = m.create(new float[] {1, 0, 0, 1, -1, 0}, new Shape(3, 2));
            NDArray h = m.create(new float[] {0.5f, 0f, 80f, 0f}, new Shape(2, 2));
            NDArray p = h.matMul(head.transpose()).softmax(-1);
            NDArray y = m.create(new long[] {1, 2}, new Shape(2, 1));
            // Row 1's target has p = e^−160: read from the softmax only while that row weighs nothing (a pad).
            assertFalse(readsLossFromSoftmax(p, y, new float[] {0.5f, 0.5f}), "row 1 counted");
            assertTrue(readsLossFromSoftmax(p, y, new float[] {1f, 0f}), "row 1 a pad");
            assertTrue(readsLossFromSoftmax(p.get("0:1"), y.get("0:1"), new float[] {1f}), "row 0 alone");
        }
    }

    private static boolean readsLossFromSoftmax(NDArray p, NDArray y, float[] w) {
        NDArray weights = p.getManager().create(w, new Shape(w.length, 1));
        return ChunkedCausalLmLoss.readsLossFromSoftmax(ChunkedCausalLmLoss.countedTargetProbabilities(p, y, weights));
    }
}
