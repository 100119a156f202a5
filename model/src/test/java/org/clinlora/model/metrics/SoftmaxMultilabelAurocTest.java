package org.clinlora.model.metrics;

import static org.clinlora.model.metrics.SklearnReference.matrix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The paper's code scores multilabel tasks on softmax(logits) (its roc_auc_skip_uniform: the mean AUROC over labels
 * with both classes), not on the sigmoid it thresholds for F1. Whichever a caller passes, macro AUROC must be that
 * metric: pinned on both against scikit-learn.
 */
class SoftmaxMultilabelAurocTest {
    static final JsonNode CASE = SklearnReference.load().get("multilabel_softmax");

    @Test
    void macroAurocOfSoftmaxAndOfSigmoidMatchTheSkipUniformMetric() {
        double[][] logits = matrix(CASE.get("logits"));
        boolean[][] truth = truth(CASE.get("truth"));
        Map<String, Double> soft = ClassificationMetrics.compute(softmax(logits), truth, false);
        Map<String, Double> sig = ClassificationMetrics.compute(sigmoid(logits), truth, false);
        assertEquals(CASE.get("softmax_macro_auroc").asDouble(), soft.get("macro_auroc"), 1e-9);
        assertEquals(CASE.get("sigmoid_macro_auroc").asDouble(), sig.get("macro_auroc"), 1e-9);
        // The label no row has is skipped in both.
        assertEquals(CASE.get("labels_scored").asDouble(), soft.get("labels_scored"));
        assertEquals(CASE.get("labels_scored").asDouble(), sig.get("labels_scored"));
        assertNotEquals(soft.get("macro_auroc"), sig.get("macro_auroc"), 1e-3, "the two scores rank rows differently");
    }

    static boolean[][] truth(JsonNode rows) {
        boolean[][] out = new boolean[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new boolean[rows.get(i).size()];
            for (int j = 0; j < out[i].length; j++)
                out[i][j] = rows.get(i).get(j).asInt() == 1;
        }
        return out;
    }

    static double[][] softmax(double[][] logits) {
        double[][] out = new double[logits.length][];
        for (int i = 0; i < logits.length; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (double x : logits[i]) max = Math.max(max, x);
            out[i] = new double[logits[i].length];
            for (int j = 0; j < out[i].length; j++) sum += out[i][j] = Math.exp(logits[i][j] - max);
            for (int j = 0; j < out[i].length; j++) out[i][j] /= sum;
        }
        return out;
    }

    static double[][] sigmoid(double[][] logits) {
        double[][] out = new double[logits.length][];
        for (int i = 0; i < logits.length; i++) {
            out[i] = new double[logits[i].length];
            for (int j = 0; j < out[i].length; j++) out[i][j] = 1 / (1 + Math.exp(-logits[i][j]));
        }
        return out;
    }
}
