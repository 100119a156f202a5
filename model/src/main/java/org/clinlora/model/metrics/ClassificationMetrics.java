package org.clinlora.model.metrics;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metrics the paper and its baselines report, from per-row probabilities and the true labels:
 *
 * <ul>
 *   <li>{@code macro_auroc}: the mean AUROC over labels, skipping labels with a single class in the evaluated set (the
 *       paper's headline metric); {@code labels_scored} says how many counted;
 *   <li>{@code micro_auroc}: one AUROC over every (row, label) pair, as scikit-learn's average="micro";
 *   <li>{@code macro_auprc}: the mean average precision over the same labels as macro AUROC;
 *   <li>{@code micro_f1} / {@code macro_f1} at threshold 0.5 (multilabel, binary) or argmax (multiclass), macro over
 *       the labels scikit-learn averages (multiclass: those in the truth or the predictions);
 *   <li>{@code accuracy}: argmax against the class (multiclass), exact match of thresholded rows otherwise.
 * </ul>
 *
 * Multiclass tasks are one-vs-rest over their classes, with softmax probabilities.
 */
public final class ClassificationMetrics {
    /** The metrics {@link #compute} returns, in its order. */
    public static final List<String> NAMES = List.of(
            "macro_auroc", "micro_auroc", "macro_auprc", "micro_f1", "macro_f1", "accuracy", "labels_scored", "rows");

    private ClassificationMetrics() {}

    /**
     * @param probs [n][c] probabilities (softmax rows for multiclass, sigmoid for multilabel/binary)
     * @param truth [n][c] 0/1 targets (one-hot for multiclass)
     */
    public static Map<String, Double> compute(double[][] probs, boolean[][] truth, boolean multiclass) {
        int n = probs.length;
        if (n == 0) throw new IllegalArgumentException("no rows to evaluate");
        int c = probs[0].length;
        double aurocSum = 0, auprcSum = 0;
        int scored = 0;
        double[] flatScores = new double[n * c];
        boolean[] flatTruth = new boolean[n * c];
        long tpAll = 0, fpAll = 0, fnAll = 0;
        double f1Sum = 0;
        int f1Labels = 0;
        boolean[][] predicted = new boolean[n][c];
        for (int i = 0; i < n; i++) {
            if (multiclass) predicted[i][argmax(probs[i])] = true;
            else for (int j = 0; j < c; j++) predicted[i][j] = probs[i][j] >= 0.5;
        }
        for (int j = 0; j < c; j++) {
            double[] s = new double[n];
            boolean[] y = new boolean[n];
            long tp = 0, fp = 0, fn = 0;
            for (int i = 0; i < n; i++) {
                s[i] = probs[i][j];
                y[i] = truth[i][j];
                flatScores[i * c + j] = s[i];
                flatTruth[i * c + j] = y[i];
                if (predicted[i][j] && y[i]) tp++;
                else if (predicted[i][j]) fp++;
                else if (y[i]) fn++;
            }
            double auc = Auroc.of(s, y);
            if (!Double.isNaN(auc)) {
                aurocSum += auc;
                auprcSum += averagePrecision(s, y);
                scored++;
            }
            f1Sum += tp + fp + fn == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
            // scikit-learn's f1_score(average="macro"): over the classes present in the truth or the predictions for
            // multiclass targets; over every column (absent ones scoring 0) for a multilabel indicator matrix.
            if (!multiclass || tp + fp + fn > 0) f1Labels++;
            tpAll += tp;
            fpAll += fp;
            fnAll += fn;
        }
        long exact = 0;
        for (int i = 0; i < n; i++) if (Arrays.equals(predicted[i], truth[i])) exact++;
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("macro_auroc", scored == 0 ? Double.NaN : aurocSum / scored);
        m.put("micro_auroc", Auroc.of(flatScores, flatTruth));
        m.put("macro_auprc", scored == 0 ? Double.NaN : auprcSum / scored);
        m.put("micro_f1", tpAll + fpAll + fnAll == 0 ? 0 : 2.0 * tpAll / (2.0 * tpAll + fpAll + fnAll));
        m.put("macro_f1", f1Labels == 0 ? 0 : f1Sum / f1Labels);
        m.put("accuracy", (double) exact / n);
        m.put("labels_scored", (double) scored);
        m.put("rows", (double) n);
        return m;
    }

    /**
     * Average precision (area under the precision-recall step curve), as scikit-learn computes it; NaN without
     * positives.
     */
    public static double averagePrecision(double[] scores, boolean[] labels) {
        PrecisionRecallCurve curve = PrecisionRecallCurve.of(scores, labels);
        return curve == null ? Double.NaN : curve.averagePrecision();
    }

    static int argmax(double[] xs) {
        int best = 0;
        for (int i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
        return best;
    }
}
