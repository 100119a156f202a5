package org.clinlora.model.metrics;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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
 * Multiclass tasks are one-vs-rest over their classes, with softmax probabilities; with {@link MulticlassAuroc#OVO} and
 * more than two classes, {@code macro_auroc} is instead the one-vs-one macro AUROC the paper's code reports
 * ({@link Auroc#oneVsOne}), and {@code labels_scored} the number of classes present.
 */
public final class ClassificationMetrics {
    /** The metrics {@link #compute} returns, in its order. */
    public static final List<String> NAMES = List.of(
            "macro_auroc", "micro_auroc", "macro_auprc", "micro_f1", "macro_f1", "accuracy", "labels_scored", "rows");

    private ClassificationMetrics() {}

    /**
     * The metrics with one-vs-rest multiclass AUROC, this library's historical value (kept so existing callers and
     * their stored numbers do not change).
     *
     * @param probs [n][c] probabilities (softmax rows for multiclass, sigmoid for multilabel/binary)
     * @param truth [n][c] 0/1 targets (one-hot for multiclass)
     */
    public static Map<String, Double> compute(double[][] probs, boolean[][] truth, boolean multiclass) {
        return compute(probs, truth, multiclass, MulticlassAuroc.OVR);
    }

    /**
     * The metrics with the multiclass AUROC averaged as {@code mode} says: the paper's code uses one-vs-one for tasks
     * of more than two classes. Only {@code macro_auroc} and {@code labels_scored} depend on the mode, and only for a
     * multiclass task with more than two columns (with two, both modes give the AUROC of either class).
     *
     * @param probs [n][c] probabilities (softmax rows for multiclass, sigmoid for multilabel/binary)
     * @param truth [n][c] 0/1 targets (one-hot for multiclass; a row with no true column is in no one-vs-one pair)
     */
    public static Map<String, Double> compute(
            double[][] probs, boolean[][] truth, boolean multiclass, MulticlassAuroc mode) {
        Objects.requireNonNull(mode, "mode");
        Map<String, Double> m = perLabel(probs, truth, multiclass);
        if (mode == MulticlassAuroc.OVO && multiclass && probs[0].length > 2) {
            int[] classes = classIndices(truth);
            long present = Arrays.stream(classes).filter(c -> c >= 0).distinct().count();
            m.put("macro_auroc", Auroc.oneVsOne(probs, classes));
            m.put("labels_scored", present < 2 ? 0.0 : present);
        }
        return m;
    }

    /** The true class of each one-hot row, -1 where no column is true (a class the training split never had). */
    static int[] classIndices(boolean[][] truth) {
        int[] classes = new int[truth.length];
        for (int i = 0; i < truth.length; i++) {
            classes[i] = -1;
            for (int j = 0; j < truth[i].length; j++) {
                if (!truth[i][j]) continue;
                if (classes[i] >= 0)
                    throw new IllegalArgumentException("multiclass row " + i + " has two true classes");
                classes[i] = j;
            }
        }
        return classes;
    }

    private static Map<String, Double> perLabel(double[][] probs, boolean[][] truth, boolean multiclass) {
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
