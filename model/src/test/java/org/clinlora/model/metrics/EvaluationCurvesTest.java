package org.clinlora.model.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EvaluationCurvesTest {
    @Test
    void thePrecisionRecallCurveIsScikitLearnsAndItsStepsSumToTheAveragePrecision() {
        // sklearn: precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) and average_precision_score = 0.8333.
        PrecisionRecallCurve c =
                PrecisionRecallCurve.of(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true});
        assertArrayEquals(new double[] {0, 0.5, 0.5, 1}, c.recall(), 1e-12);
        assertArrayEquals(new double[] {1, 1, 0.5, 2.0 / 3}, c.precision(), 1e-12);
        assertEquals(0.8333333333, c.averagePrecision(), 1e-9);
        assertNull(
                PrecisionRecallCurve.of(new double[] {0.2, 0.3}, new boolean[] {false, false}),
                "no positive: no curve");
    }

    @Test
    void theCurvesAgreeWithTheMetricsTheJobReportsOnRowsWithTies() {
        Random r = new Random(3);
        int n = 300, c = 4;
        double[][] probs = new double[n][c];
        boolean[][] truth = new boolean[n][c];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j < c; j++)
                sum += probs[i][j] = Math.round(r.nextDouble() * 20) / 20.0 + 1e-3; // ties on purpose
            for (int j = 0; j < c; j++) probs[i][j] /= sum;
            truth[i][r.nextInt(3)] = true; // label 3 never occurs: one class only, skipped
        }
        Predictions p = new Predictions(List.of("a", "b", "c", "d"), true, null, probs, truth);
        EvaluationCurves e = EvaluationCurves.of(p);
        assertEquals(p.metrics().get("macro_auroc"), e.macroAuroc(), 1e-12);
        assertNull(e.labels().get(3).auroc(), "a one-class label has no ROC curve");
        assertNull(e.labels().get(3).roc());
        double apSum = 0;
        for (int j = 0; j < 3; j++) {
            EvaluationCurves.LabelCurves l = e.labels().get(j);
            double[] s = new double[n];
            boolean[] t = new boolean[n];
            for (int i = 0; i < n; i++) {
                s[i] = probs[i][j];
                t[i] = truth[i][j];
            }
            assertEquals(Auroc.of(s, t), l.auroc(), 1e-12, "label " + l.label());
            assertEquals(
                    ClassificationMetrics.averagePrecision(s, t), l.averagePrecision(), 1e-12, "label " + l.label());
            double area = 0;
            for (int k = 1; k < l.roc().x().length; k++)
                area += (l.roc().x()[k] - l.roc().x()[k - 1])
                        * (l.roc().y()[k] + l.roc().y()[k - 1])
                        / 2;
            assertEquals(l.auroc(), area, 1e-12, "the trapezoids under the plotted points are the AUROC");
            apSum += l.averagePrecision();
        }
        assertEquals(p.metrics().get("macro_auprc"), apSum / 3, 1e-12);
        long total = 0;
        for (int i = 0; i < c; i++) for (int j = 0; j < c; j++) total += e.confusionMatrix()[i][j];
        assertEquals(n, total, "every row is in the confusion matrix once");
        assertEquals(
                0,
                e.confusionMatrix()[3][0]
                        + e.confusionMatrix()[3][1]
                        + e.confusionMatrix()[3][2]
                        + e.confusionMatrix()[3][3]);
    }

    @Test
    void aMultilabelTaskHasNoConfusionMatrix() {
        Predictions p = new Predictions(
                List.of("x", "y"), false, null, new double[][] {{0.9, 0.2}, {0.1, 0.7}, {0.6, 0.6}}, new boolean[][] {
                    {true, false}, {false, true}, {true, true}
                });
        EvaluationCurves e = EvaluationCurves.of(p);
        assertNull(e.confusionMatrix());
        assertEquals(1.0, e.macroAuroc(), 1e-12);
    }
}
