package org.clinlora.model.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * A ROC curve as scikit-learn's {@code roc_curve(drop_intermediate=True)} gives it: from (0, 0) at threshold +∞, one
 * point per distinct score (a tie group moves diagonally), keeping only the corners — so the trapezoids under the
 * points are exactly the label's AUROC, and a rare label's curve stays small.
 */
public record RocCurve(double[] fpr, double[] tpr, double[] thresholds) {

    /** The curve of one label; null when the rows hold one class only (no curve, as the metric skips the label). */
    public static RocCurve of(double[] scores, boolean[] labels) {
        int n = scores.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
        long pos = 0;
        for (boolean l : labels) if (l) pos++;
        long neg = n - pos;
        if (pos == 0 || neg == 0) return null;
        List<double[]> pts = new ArrayList<>(); // {fp, tp, threshold}
        pts.add(new double[] {0, 0, Double.POSITIVE_INFINITY});
        long tp = 0, fp = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) j++;
            for (int k = i; k <= j; k++) {
                if (labels[order[k]]) tp++;
                else fp++;
            }
            pts.add(new double[] {fp, tp, scores[order[i]]});
            i = j + 1;
        }
        // Corners only: a point stays when the curve turns there (second differences of fp or tp non-zero), as sklearn.
        List<double[]> kept = new ArrayList<>();
        for (int i = 0; i < pts.size(); i++) {
            boolean end = i == 0 || i == pts.size() - 1;
            if (end
                    || pts.get(i + 1)[0] - 2 * pts.get(i)[0] + pts.get(i - 1)[0] != 0
                    || pts.get(i + 1)[1] - 2 * pts.get(i)[1] + pts.get(i - 1)[1] != 0) {
                kept.add(pts.get(i));
            }
        }
        double[] f = new double[kept.size()], t = new double[kept.size()], th = new double[kept.size()];
        for (int i = 0; i < kept.size(); i++) {
            f[i] = kept.get(i)[0] / neg;
            t[i] = kept.get(i)[1] / pos;
            th[i] = kept.get(i)[2];
        }
        return new RocCurve(f, t, th);
    }

    /** The area under the points (trapezoids): the label's AUROC. */
    public double area() {
        double a = 0;
        for (int i = 1; i < fpr.length; i++) a += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2;
        return a;
    }

    /**
     * The true-positive rate at a false-positive rate: the top of a vertical step at {@code x}, linear between corners
     * otherwise.
     */
    public double tprAt(double x) {
        int i = 0;
        while (i + 1 < fpr.length && fpr[i + 1] <= x) i++;
        if (fpr[i] == x || i + 1 == fpr.length) return tpr[i];
        return tpr[i] + (tpr[i + 1] - tpr[i]) * (x - fpr[i]) / (fpr[i + 1] - fpr[i]);
    }

    /**
     * The macro-averaged curve of several labels' (and runs') curves: at every false-positive rate any of them has, the
     * mean of their true-positive rates ({@link #tprAt}); it starts at (0, 0). Thresholds are NaN.
     */
    public static RocCurve macroAverage(List<RocCurve> curves) {
        if (curves.isEmpty()) throw new IllegalArgumentException("no curves to average");
        TreeSet<Double> grid = new TreeSet<>();
        for (RocCurve c : curves) for (double x : c.fpr) grid.add(x);
        double[] f = new double[grid.size() + 1], t = new double[grid.size() + 1], th = new double[grid.size() + 1];
        Arrays.fill(th, Double.NaN);
        int k = 1;
        for (double x : grid) {
            double sum = 0;
            for (RocCurve c : curves) sum += c.tprAt(x);
            f[k] = x;
            t[k] = sum / curves.size();
            k++;
        }
        return new RocCurve(f, t, th);
    }
}
