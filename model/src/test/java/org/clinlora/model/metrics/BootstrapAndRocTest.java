package org.clinlora.model.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** ROC points that recompute AUROC exactly, and a paired bootstrap that is reproducible and tells real differences. */
class BootstrapAndRocTest {
    /** {@code n} rows, {@code c} labels; scores carry the truth with strength {@code signal}, rounded so ties occur. */
    static Predictions synthetic(long seed, int n, int c, double signal, boolean[][] truth) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] p = new double[n][c];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < c; j++) p[i][j] = Math.round((r.nextDouble() + (truth[i][j] ? signal : 0)) * 50) / 50.0;
        List<String> names = new ArrayList<>();
        for (int j = 0; j < c; j++) names.add("L" + j);
        return new Predictions(names, false, null, p, truth);
    }

    static boolean[][] truth(long seed, int n, int c) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean[][] t = new boolean[n][c];
        for (int i = 0; i < n; i++) for (int j = 0; j < c; j++) t[i][j] = r.nextDouble() < 0.2 + 0.1 * j;
        for (int i = 0; i < n; i++) t[i][c - 1] = false; // one label with a single class: skipped everywhere
        return t;
    }

    @Test
    void rocCornersGiveTheMannWhitneyAurocAndTheMacroCurveRunsFromZeroToOne() {
        boolean[][] t = truth(1, 300, 4);
        Predictions p = synthetic(2, 300, 4, 0.4, t);
        for (int j = 0; j < 3; j++) {
            double[] s = new double[300];
            boolean[] y = new boolean[300];
            for (int i = 0; i < 300; i++) {
                s[i] = p.probabilities()[i][j];
                y[i] = t[i][j];
            }
            RocCurve c = RocCurve.of(s, y);
            assertEquals(Auroc.of(s, y), c.area(), 1e-12, "label " + j);
            assertTrue(c.fpr().length < 120, "corners only: " + c.fpr().length);
            assertEquals(0.0, c.fpr()[0]);
            assertEquals(1.0, c.tpr()[c.tpr().length - 1]);
        }
        assertNull(RocCurve.of(new double[] {0.1, 0.2}, new boolean[] {true, true}), "one class: no curve");
        RocCurve a = new RocCurve(new double[] {0, 0, 0.5, 1}, new double[] {0, 0.5, 1, 1}, new double[4]);
        RocCurve b = new RocCurve(new double[] {0, 1}, new double[] {0, 1}, new double[2]);
        RocCurve m = RocCurve.macroAverage(List.of(a, b));
        assertEquals(0.0, m.fpr()[0]);
        assertEquals(0.0, m.tpr()[0]);
        assertEquals(0.25, m.tpr()[1], 1e-12, "at fpr 0: the top of a's step (0.5) and b's 0");
        assertEquals(0.75, m.tprAt(0.5), 1e-12);
        assertEquals(1.0, m.tpr()[m.tpr().length - 1]);
    }

    @Test
    void theBootstrapIsReproducibleAndSeparatesARealDifferenceFromNone() {
        boolean[][] t = truth(3, 400, 5);
        List<Predictions> strong =
                List.of(synthetic(10, 400, 5, 0.8, t), synthetic(11, 400, 5, 0.8, t), synthetic(12, 400, 5, 0.8, t));
        List<Predictions> weak =
                List.of(synthetic(20, 400, 5, 0.1, t), synthetic(21, 400, 5, 0.1, t), synthetic(22, 400, 5, 0.1, t));
        PairedBootstrap.Interval i = PairedBootstrap.difference(strong, weak, 1000, 42);
        double observed = 0;
        for (int s = 0; s < 3; s++)
            observed += strong.get(s).metrics().get("macro_auroc")
                    - weak.get(s).metrics().get("macro_auroc");
        assertEquals(
                observed / 3,
                i.observed(),
                1e-12,
                "the point estimate is the mean of the seeds' differences of the metric");
        assertTrue(i.excludesZero() && i.low() > 0, "a real difference: " + i);
        assertEquals(i, PairedBootstrap.difference(strong, weak, 1000, 42), "bit for bit with the same seed");
        assertTrue(!i.equals(PairedBootstrap.difference(strong, weak, 1000, 43)), "another seed draws other resamples");

        PairedBootstrap.Interval same = PairedBootstrap.difference(weak, weak, 500, 1);
        assertEquals(0.0, same.low());
        assertEquals(0.0, same.high());
        PairedBootstrap.Interval noise = PairedBootstrap.difference(
                List.of(synthetic(30, 400, 5, 0.3, t)), List.of(synthetic(31, 400, 5, 0.3, t)), 1000, 5);
        assertTrue(noise.low() < 0 && noise.high() > 0, "two equally good models: the interval covers 0: " + noise);

        boolean[][] other = truth(4, 400, 5);
        assertThrows(
                IllegalArgumentException.class,
                () -> PairedBootstrap.difference(
                        List.of(synthetic(1, 400, 5, 0.3, other)), List.of(weak.get(0)), 100, 1),
                "runs on other rows are not paired");
        assertThrows(
                IllegalArgumentException.class, () -> PairedBootstrap.difference(strong, weak.subList(0, 2), 100, 1));
    }
}
