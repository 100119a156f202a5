package org.clinlora.model.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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

    /**
     * One-vs-one macro AUROC of multiclass probabilities (Hand &amp; Till), as scikit-learn's {@code roc_auc_score(y,
     * probs, multi_class="ovo", average="macro")}: for each unordered pair of classes present in {@code classes}, the
     * AUROC of class a's column on the rows of class a or b with a as positive, and the same for b, averaged; then the
     * mean over pairs. The paper's code reports this for tasks with more than two classes because it does not depend on
     * how the classes are balanced.
     *
     * <p>A class no row has is in no pair (scikit-learn would refuse the input; skipped here as macro AUROC skips a
     * label with one class), and a row whose class is negative (a class the training split never had, see
     * {@link Predictions}) is in no pair either.
     *
     * @param probs [n][k] probability rows (softmax), as scikit-learn requires of multiclass scores
     * @param classes the true class index of each row, in [0, k), or negative for none
     * @return the mean over pairs; NaN when fewer than two classes are present
     */
    public static double oneVsOne(double[][] probs, int[] classes) {
        if (probs.length != classes.length) throw new IllegalArgumentException("probs and classes differ in rows");
        List<List<Integer>> rowsOf = rowsByClass(probs, classes);
        List<Integer> present = new ArrayList<>();
        for (int c = 0; c < rowsOf.size(); c++) if (!rowsOf.get(c).isEmpty()) present.add(c);
        if (present.size() < 2) return Double.NaN;
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < present.size(); i++) {
            for (int j = i + 1; j < present.size(); j++) {
                int a = present.get(i), b = present.get(j);
                List<Integer> rows = new ArrayList<>(rowsOf.get(a));
                rows.addAll(rowsOf.get(b));
                sum += (pairwise(probs, classes, rows, a) + pairwise(probs, classes, rows, b)) / 2;
                pairs++;
            }
        }
        return sum / pairs;
    }

    private static List<List<Integer>> rowsByClass(double[][] probs, int[] classes) {
        int k = probs.length == 0 ? 0 : probs[0].length;
        List<List<Integer>> rowsOf = new ArrayList<>();
        for (int c = 0; c < k; c++) rowsOf.add(new ArrayList<>());
        for (int r = 0; r < classes.length; r++) {
            if (probs[r].length != k)
                throw new IllegalArgumentException("row " + r + " has " + probs[r].length + " columns, not " + k);
            if (classes[r] >= k)
                throw new IllegalArgumentException("class " + classes[r] + " of row " + r + " outside [0, " + k + ")");
            if (classes[r] >= 0) rowsOf.get(classes[r]).add(r);
        }
        return rowsOf;
    }

    /** AUROC of column {@code positive} on {@code rows}, the rows of {@code positive} being the positives. */
    private static double pairwise(double[][] probs, int[] classes, List<Integer> rows, int positive) {
        double[] s = new double[rows.size()];
        boolean[] y = new boolean[rows.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = probs[rows.get(i)][positive];
            y[i] = classes[rows.get(i)] == positive;
        }
        return of(s, y);
    }
}
