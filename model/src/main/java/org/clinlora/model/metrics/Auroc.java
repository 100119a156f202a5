package org.clinlora.model.metrics;

import java.util.Arrays;

/**
 * Area under the ROC curve as the Mann–Whitney statistic: the probability that a random positive scores above a random
 * negative, ties counting half (the same value scikit-learn's roc_auc_score gives).
 */
public final class Auroc {
    private Auroc() {}

    /** AUROC of {@code scores} against binary {@code labels}; NaN when one class is absent (the label is skipped). */
    public static double of(double[] scores, boolean[] labels) {
        if (scores.length != labels.length) throw new IllegalArgumentException("scores and labels differ in length");
        int n = scores.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
        double rankSumPos = 0;
        long pos = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) j++;
            double midRank = (i + j) / 2.0 + 1; // average rank of a tie group, 1-based
            for (int k = i; k <= j; k++) {
                if (labels[order[k]]) {
                    rankSumPos += midRank;
                    pos++;
                }
            }
            i = j + 1;
        }
        long neg = n - pos;
        if (pos == 0 || neg == 0) return Double.NaN;
        return (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }
}
