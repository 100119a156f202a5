package org.clinlora.model.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Values checked against scikit-learn's f1_score / roc_auc_score on the same arrays. */
class ClassificationMetricsTest {

    @Test
    void theMetricsComeUnderTheNamesCheckpointsStoreThemBy() {
        // Trainer checkpoints a kept epoch's metrics in NAMES order; a metric missing from NAMES would not survive a
        // resume.
        double[][] p = {{.9, .1}, {.2, .8}};
        boolean[][] t = {{true, false}, {false, true}};
        assertEquals(
                ClassificationMetrics.NAMES,
                List.copyOf(ClassificationMetrics.compute(p, t, true).keySet()));
    }

    @Test
    void multiclassMacroF1AveragesOverTheClassesPresentAsScikitLearn() {
        // Four classes (LOS bins); the truth and the predictions only ever use classes 0 and 1.
        double[][] p = {{.9, .1, 0, 0}, {.2, .8, 0, 0}, {.6, .4, 0, 0}, {.3, .7, 0, 0}};
        boolean[][] y = {
            {true, false, false, false},
            {false, true, false, false},
            {false, true, false, false},
            {false, true, false, false}
        };
        Map<String, Double> m = ClassificationMetrics.compute(p, y, true);
        // f1_score([0,1,1,1], [0,1,0,1], average="macro") = mean(F1 class 0 = 2/3, F1 class 1 = 0.8) = 0.7333…
        assertEquals((2.0 / 3 + 0.8) / 2, m.get("macro_f1"), 1e-12);
        assertEquals(0.75, m.get("micro_f1"), 1e-12);
    }

    @Test
    void multilabelMacroF1CountsEveryColumnAsScikitLearn() {
        // f1_score(Y, P, average="macro", zero_division=0) over an indicator matrix averages all columns.
        double[][] p = {{.9, .1, .2}, {.8, .7, .1}};
        boolean[][] y = {{true, false, false}, {true, true, false}};
        assertEquals(
                (1.0 + 1.0 + 0.0) / 3,
                ClassificationMetrics.compute(p, y, false).get("macro_f1"),
                1e-12);
    }
}
