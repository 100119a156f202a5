package org.clinlora.model.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The paired bootstrap of one-vs-one macro AUROC, as the paper's code reports it for tasks of more than two classes.
 */
class PairedBootstrapOvoTest {
    private static final int CLASSES = 4;

    /** One-hot truth of {@code n} rows, imbalanced; every 17th row has no true class (unseen in training). */
    static boolean[][] truth(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean[][] t = new boolean[n][CLASSES];
        for (int i = 0; i < n; i++) {
            if (i % 17 == 0) continue;
            double u = r.nextDouble();
            t[i][u < 0.5 ? 0 : u < 0.75 ? 1 : u < 0.9 ? 2 : 3] = true;
        }
        return t;
    }

    /** Softmax rows whose logits lean to the true class by {@code signal}, rounded so ties occur. */
    static Predictions softmax(long seed, boolean[][] truth, double signal) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] p = new double[truth.length][CLASSES];
        for (int i = 0; i < truth.length; i++) {
            double sum = 0;
            for (int j = 0; j < CLASSES; j++) {
                p[i][j] = Math.exp(r.nextGaussian() + (truth[i][j] ? signal : 0));
                sum += p[i][j];
            }
            for (int j = 0; j < CLASSES; j++) p[i][j] = Math.round(p[i][j] / sum * 200) / 200.0;
        }
        List<String> names = new ArrayList<>();
        for (int j = 0; j < CLASSES; j++) names.add("C" + j);
        return new Predictions(names, true, null, p, truth);
    }

    private static double ovo(Predictions p) {
        return p.metrics(MulticlassAuroc.OVO).get("macro_auroc");
    }

    @Test
    void theObservedDifferenceIsTheDifferenceOfTheOneVsOneMacroAurocs() {
        boolean[][] t = truth(1, 500);
        List<Predictions> variant = List.of(softmax(10, t, 1.5), softmax(11, t, 1.2));
        List<Predictions> reference = List.of(softmax(20, t, 0.6), softmax(21, t, 0.4));
        PairedBootstrap.Interval i = PairedBootstrap.difference(variant, reference, 300, 7, MulticlassAuroc.OVO);
        double expected =
                (ovo(variant.get(0)) - ovo(reference.get(0)) + ovo(variant.get(1)) - ovo(reference.get(1))) / 2;
        assertEquals(expected, i.observed(), 1e-12);
        assertTrue(i.low() > 0, "a real difference: " + i);
        assertEquals(i, PairedBootstrap.difference(variant, reference, 300, 7, MulticlassAuroc.OVO), "bit for bit");

        PairedBootstrap.Interval ovr = PairedBootstrap.difference(variant, reference, 300, 7);
        assertEquals(ovr, PairedBootstrap.difference(variant, reference, 300, 7, MulticlassAuroc.OVR));
        double ovrExpected = 0;
        for (int s = 0; s < 2; s++)
            ovrExpected += variant.get(s).metrics().get("macro_auroc")
                    - reference.get(s).metrics().get("macro_auroc");
        assertEquals(ovrExpected / 2, ovr.observed(), 1e-12, "the 4-argument bootstrap stays one-vs-rest");
        assertNotEquals(ovr.observed(), i.observed(), 1e-6, "the two averages differ on imbalanced classes");
    }

    @Test
    void aResampleScoresAsTheMetricOnItsRowsRepeated() {
        boolean[][] t = truth(2, 300);
        Predictions p = softmax(30, t, 1.0);
        SplittableRandom r = new SplittableRandom(3);
        int[][] counts = new int[2][300];
        for (int k = 0; k < 300; k++) counts[0][r.nextInt(300)]++;
        for (int k = 0; k < 300; k++) if (!t[k][3]) counts[1][k] = 1 + r.nextInt(3); // class 3 drawn out: 3 pairs
        double[] weighted = PairedBootstrap.macroAuroc(p, counts, MulticlassAuroc.OVO);
        for (int s = 0; s < 2; s++) {
            List<double[]> probs = new ArrayList<>();
            List<boolean[]> truth = new ArrayList<>();
            for (int k = 0; k < 300; k++) {
                for (int c = 0; c < counts[s][k]; c++) {
                    probs.add(p.probabilities()[k]);
                    truth.add(t[k]);
                }
            }
            double expected = ClassificationMetrics.compute(
                            probs.toArray(double[][]::new), truth.toArray(boolean[][]::new), true, MulticlassAuroc.OVO)
                    .get("macro_auroc");
            assertEquals(expected, weighted[s], 1e-12, "resample " + s);
        }
    }

    @Test
    void aVariantIdenticalToItsReferenceGivesZero() {
        boolean[][] t = truth(4, 400);
        List<Predictions> runs = List.of(softmax(40, t, 0.8), softmax(41, t, 0.8));
        PairedBootstrap.Interval same = PairedBootstrap.difference(runs, runs, 500, 1, MulticlassAuroc.OVO);
        assertEquals(0.0, same.observed());
        assertEquals(0.0, same.low());
        assertEquals(0.0, same.high());
        assertEquals(1.0, same.shareAtOrBelowZero());
    }

    @Test
    void fewerThanTwoClassesLeaveNoPairToScore() {
        boolean[][] t = new boolean[50][CLASSES];
        for (boolean[] row : t) row[2] = true;
        Predictions p = softmax(50, t, 1.0);
        int[][] counts = new int[1][50];
        Arrays.fill(counts[0], 1);
        assertTrue(Double.isNaN(PairedBootstrap.macroAuroc(p, counts, MulticlassAuroc.OVO)[0]));
    }
}
