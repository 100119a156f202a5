package org.clinlora.model.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A precision-recall curve as scikit-learn's {@code precision_recall_curve} gives it, in order of rising recall: one
 * point per distinct score (a tie group is one threshold), starting at recall 0 with precision 1. The sum of the recall
 * steps times the precision at each step's end is the label's average precision
 * ({@link ClassificationMetrics#averagePrecision}).
 */
public record PrecisionRecallCurve(double[] recall, double[] precision) {

    /** The curve of one label; null when the rows hold no positive (recall is undefined). */
    public static PrecisionRecallCurve of(double[] scores, boolean[] labels) {
        int n = scores.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
        long positives = 0;
        for (boolean l : labels) if (l) positives++;
        if (positives == 0) return null;
        List<double[]> pts = new ArrayList<>();
        pts.add(new double[] {0, 1});
        long tp = 0, seen = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) j++;
            for (int k = i; k <= j; k++) {
                seen++;
                if (labels[order[k]]) tp++;
            }
            pts.add(new double[] {(double) tp / positives, (double) tp / seen});
            i = j + 1;
            if (tp == positives) break; // sklearn stops at full recall: lower thresholds only add false positives
        }
        double[] r = new double[pts.size()], p = new double[pts.size()];
        for (int i = 0; i < pts.size(); i++) {
            r[i] = pts.get(i)[0];
            p[i] = pts.get(i)[1];
        }
        return new PrecisionRecallCurve(r, p);
    }

    /** Average precision: each recall step times the precision where it ends. */
    public double averagePrecision() {
        double ap = 0;
        for (int i = 1; i < recall.length; i++) ap += (recall[i] - recall[i - 1]) * precision[i];
        return ap;
    }
}
