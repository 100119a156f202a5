package org.clinlora.model.train;

import static org.clinlora.model.metrics.SklearnReference.longs;
import static org.clinlora.model.metrics.SklearnReference.matrix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.metrics.SklearnReference;
import org.junit.jupiter.api.Test;

/**
 * Class-weighted cross-entropy against PyTorch's {@code F.cross_entropy(logits, y, weight=w)}: the loss and its
 * gradient with respect to the logits, from {@code sklearn-reference/metrics.json}.
 */
class LossesReferenceTest {
    static final JsonNode CASES = SklearnReference.load().get("cross_entropy");

    record Result(float loss, float[] grad) {}

    static Result lossAndGradient(double[][] logits, long[] labels, float[] weights) {
        int b = logits.length, c = logits[0].length;
        float[] flat = new float[b * c];
        for (int i = 0; i < b; i++) for (int j = 0; j < c; j++) flat[i * c + j] = (float) logits[i][j];
        try (NDManager root = NDManager.newBaseManager();
                StepContext ctx = new StepContext(root, DataType.FLOAT32, true)) {
            NDArray x = ctx.manager().create(flat, new Shape(b, c));
            x.setRequiresGradient(true);
            float loss;
            try (var gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = Losses.crossEntropy(ctx, x, labels, weights);
                loss = l.getFloat();
                gc.backward(l);
            }
            return new Result(loss, x.getGradient().toFloatArray());
        }
    }

    static float[] weights(JsonNode w) {
        if (w.isNull()) return null;
        float[] out = new float[w.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) w.get(i).asDouble();
        return out;
    }

    @Test
    void lossAndGradientMatchPyTorchWithAndWithoutClassWeights() {
        assertEquals(3, CASES.size());
        for (JsonNode c : CASES) {
            String name = c.get("name").asText();
            Result r = lossAndGradient(matrix(c.get("logits")), longs(c.get("labels")), weights(c.get("weights")));
            assertEquals(c.get("loss").asDouble(), r.loss(), 1e-5, name);
            double[][] grad = matrix(c.get("grad"));
            int cols = grad[0].length;
            for (int i = 0; i < grad.length; i++) {
                for (int j = 0; j < cols; j++) {
                    assertEquals(grad[i][j], r.grad()[i * cols + j], 1e-5, name + " d/dlogits[" + i + "][" + j + "]");
                }
            }
        }
    }

    @Test
    void weightsFromTheTrainingCountsAreThoseThePaperTrainsWith() {
        // The balanced case's weights are ClassWeights of the class-weight fixture's first training split.
        JsonNode counts = SklearnReference.load().get("class_weights").get(0).get("counts");
        float[] fromCounts = ClassWeights.asFloat32(ClassWeights.inverseFrequency(longs(counts)));
        float[] fixture = weights(CASES.get(0).get("weights"));
        for (int i = 0; i < fixture.length; i++) assertEquals(fixture[i], fromCounts[i], "class " + i);
    }

    @Test
    void noWeightsIsTheOldMeanAndBadWeightsAreRefused() {
        double[][] logits = {{2, 0, -1}, {0, 0, 0}};
        long[] labels = {0, 2};
        Result plain = lossAndGradient(logits, labels, null);
        Result ones = lossAndGradient(logits, labels, new float[] {1, 1, 1});
        assertEquals(plain.loss(), ones.loss(), 1e-7);
        try (NDManager root = NDManager.newBaseManager();
                StepContext ctx = new StepContext(root, DataType.FLOAT32, false)) {
            NDArray x = ctx.manager().create(new float[] {2, 0, -1, 0, 0, 0}, new Shape(2, 3));
            assertEquals(plain.loss(), Losses.crossEntropy(ctx, x, labels).getFloat(), 1e-7);
            var e = assertThrows(
                    IllegalArgumentException.class, () -> Losses.crossEntropy(ctx, x, labels, new float[] {1, 1}));
            assertTrue(e.getMessage().contains("class weights"), e.getMessage());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> Losses.crossEntropy(ctx, x, labels, new float[] {0, 1, 0}),
                    "a batch whose labels all weigh 0 has no mean (PyTorch gives NaN)");
        }
    }
}
