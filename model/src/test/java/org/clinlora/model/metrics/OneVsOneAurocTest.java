package org.clinlora.model.metrics;

import static org.clinlora.model.metrics.SklearnReference.ints;
import static org.clinlora.model.metrics.SklearnReference.matrix;
import static org.clinlora.model.metrics.SklearnReference.oneHot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The one-vs-one macro AUROC the paper's code reports for multiclass tasks, pinned to scikit-learn's
 * {@code roc_auc_score(multi_class="ovo", average="macro")} on the cases of {@code sklearn-reference/metrics.json}.
 */
class OneVsOneAurocTest {
    static final JsonNode CASES = SklearnReference.load().get("ovo");

    @Test
    void everyCaseMatchesScikitLearnIncludingTiesAndAMissingClass() {
        assertEquals(4, CASES.size());
        for (JsonNode c : CASES) {
            String name = c.get("name").asText();
            double[][] p = matrix(c.get("probs"));
            int[] y = ints(c.get("classes"));
            double expected = c.get("ovo_macro_auroc").asDouble();
            assertEquals(expected, Auroc.oneVsOne(p, y), 1e-9, name);
            Map<String, Double> m = ClassificationMetrics.compute(p, oneHot(y, p[0].length), true, MulticlassAuroc.OVO);
            assertEquals(expected, m.get("macro_auroc"), 1e-9, name);
            assertEquals(c.get("classes_present").asDouble(), m.get("labels_scored"), name);
        }
    }

    @Test
    void oneVsRestStaysWhatScikitLearnsOvrGivesAndRemainsTheDefault() {
        for (JsonNode c : CASES) {
            if (c.get("ovr_macro_auroc").isNull()) continue;
            double[][] p = matrix(c.get("probs"));
            boolean[][] t = oneHot(ints(c.get("classes")), p[0].length);
            double ovr = c.get("ovr_macro_auroc").asDouble();
            String name = c.get("name").asText();
            assertEquals(
                    ovr,
                    ClassificationMetrics.compute(p, t, true, MulticlassAuroc.OVR)
                            .get("macro_auroc"),
                    1e-9);
            assertEquals(ovr, ClassificationMetrics.compute(p, t, true).get("macro_auroc"), 1e-9, name);
            Predictions preds =
                    new Predictions(List.of("a", "b", "c", "d", "e").subList(0, p[0].length), true, null, p, t);
            assertEquals(ovr, preds.metrics().get("macro_auroc"), 1e-9, name);
            assertEquals(
                    c.get("ovo_macro_auroc").asDouble(),
                    preds.metrics(MulticlassAuroc.OVO).get("macro_auroc"),
                    1e-9);
        }
    }

    @Test
    void onlyTheAurocDependsOnTheMode() {
        JsonNode c = CASES.get(0);
        double[][] p = matrix(c.get("probs"));
        boolean[][] t = oneHot(ints(c.get("classes")), p[0].length);
        Map<String, Double> ovr = ClassificationMetrics.compute(p, t, true, MulticlassAuroc.OVR);
        Map<String, Double> ovo = ClassificationMetrics.compute(p, t, true, MulticlassAuroc.OVO);
        assertEquals(ClassificationMetrics.NAMES, List.copyOf(ovo.keySet()));
        for (String k : ClassificationMetrics.NAMES)
            if (!k.equals("macro_auroc")) assertEquals(ovr.get(k), ovo.get(k), k);
    }

    @Test
    void rowsWithoutAClassAreInNoPair() {
        // A test row whose class the training split never had has no true column: it joins no pair.
        JsonNode c = CASES.get(0);
        double[][] p = matrix(c.get("probs"));
        int[] y = ints(c.get("classes"));
        double[][] more = Arrays.copyOf(p, p.length + 2);
        more[p.length] = new double[] {.97, .01, .01, .01};
        more[p.length + 1] = new double[] {.01, .01, .01, .97};
        int[] moreY = Arrays.copyOf(y, y.length + 2);
        moreY[y.length] = -1;
        moreY[y.length + 1] = -1;
        assertEquals(Auroc.oneVsOne(p, y), Auroc.oneVsOne(more, moreY), 1e-12);
        boolean[][] t = Arrays.copyOf(oneHot(y, 4), y.length + 2);
        t[y.length] = new boolean[4];
        t[y.length + 1] = new boolean[4];
        assertEquals(
                c.get("ovo_macro_auroc").asDouble(),
                ClassificationMetrics.compute(more, t, true, MulticlassAuroc.OVO)
                        .get("macro_auroc"),
                1e-9);
    }

    @Test
    void fewerThanTwoClassesPresentScoresNothing() {
        double[][] p = {{.7, .2, .1}, {.5, .3, .2}};
        boolean[][] t = {{true, false, false}, {true, false, false}};
        Map<String, Double> m = ClassificationMetrics.compute(p, t, true, MulticlassAuroc.OVO);
        assertTrue(m.get("macro_auroc").isNaN());
        assertEquals(0.0, m.get("labels_scored"));
        assertTrue(Double.isNaN(Auroc.oneVsOne(p, new int[] {0, 0})));
    }

    @Test
    void twoClassesGiveTheSameAurocInBothModes() {
        double[][] p = {{.8, .2}, {.3, .7}, {.6, .4}, {.45, .55}};
        boolean[][] t = oneHot(new int[] {0, 1, 1, 0}, 2);
        assertEquals(
                ClassificationMetrics.compute(p, t, true, MulticlassAuroc.OVR),
                ClassificationMetrics.compute(p, t, true, MulticlassAuroc.OVO));
    }

    @Test
    void badInputIsRefusedWithTheReason() {
        double[][] p = {{.5, .3, .2}, {.2, .3, .5}};
        var e = assertThrows(IllegalArgumentException.class, () -> Auroc.oneVsOne(p, new int[] {0, 3}));
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Auroc.oneVsOne(p, new int[] {0}));
        boolean[][] twoTrue = {{true, true, false}, {false, false, true}};
        assertThrows(
                IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(p, twoTrue, true, MulticlassAuroc.OVO));
    }

    @Test
    void theModeHasTheConfigNamesOfScikitLearn() throws Exception {
        assertEquals(MulticlassAuroc.OVO, MulticlassAuroc.parse("ovo"));
        assertEquals(MulticlassAuroc.OVR, MulticlassAuroc.parse(" OVR "));
        var e = assertThrows(IllegalArgumentException.class, () -> MulticlassAuroc.parse("macro"));
        assertEquals("multiclass AUROC must be \"ovr\" or \"ovo\", got \"macro\"", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MulticlassAuroc.parse(null));
        ObjectMapper json = new ObjectMapper();
        assertEquals("\"ovo\"", json.writeValueAsString(MulticlassAuroc.OVO));
        assertEquals(MulticlassAuroc.OVR, json.readValue("\"ovr\"", MulticlassAuroc.class));
    }
}
