package org.clinlora.model.metrics;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/**
 * What an evaluation keeps beside its numbers so a reader can see them: each label's ROC and precision-recall points,
 * the macro-averaged ROC curve, and for a single-label task the confusion matrix (rows: true class, columns: the most
 * probable class). A label with one class only in these rows has no curves and does not count in the macro AUROC, as in
 * {@link ClassificationMetrics}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvaluationCurves(
        int rows,
        boolean multiclass,
        List<LabelCurves> labels,
        Double macroAuroc,
        Points macroRoc,
        List<String> confusionLabels,
        long[][] confusionMatrix) {

    /** Plotted points: x and y of the same length. */
    public record Points(double[] x, double[] y) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record LabelCurves(
            String label,
            long positives,
            long negatives,
            Double auroc,
            Double averagePrecision,
            Points roc,
            Points pr) {}

    public static EvaluationCurves of(Predictions p) {
        int n = p.rows(), c = p.labelNames().size();
        List<LabelCurves> labels = new ArrayList<>();
        List<RocCurve> rocs = new ArrayList<>();
        for (int j = 0; j < c; j++) {
            double[] s = new double[n];
            boolean[] t = new boolean[n];
            long pos = 0;
            for (int i = 0; i < n; i++) {
                s[i] = p.probabilities()[i][j];
                t[i] = p.truth()[i][j];
                if (t[i]) pos++;
            }
            RocCurve roc = RocCurve.of(s, t);
            PrecisionRecallCurve pr = PrecisionRecallCurve.of(s, t);
            if (roc != null) rocs.add(roc);
            labels.add(new LabelCurves(
                    p.labelNames().get(j),
                    pos,
                    n - pos,
                    roc == null ? null : roc.area(),
                    pr == null ? null : pr.averagePrecision(),
                    roc == null ? null : new Points(roc.fpr(), roc.tpr()),
                    pr == null ? null : new Points(pr.recall(), pr.precision())));
        }
        Double macro = rocs.isEmpty()
                ? null
                : rocs.stream().mapToDouble(RocCurve::area).average().orElseThrow();
        Points macroRoc = rocs.isEmpty() ? null : points(RocCurve.macroAverage(rocs));
        long[][] confusion = null;
        if (p.multiclass()) {
            confusion = new long[c][c];
            for (int i = 0; i < n; i++) {
                int truth = -1;
                for (int j = 0; j < c; j++) if (p.truth()[i][j]) truth = j;
                if (truth >= 0)
                    confusion[truth][
                            ClassificationMetrics.argmax(
                                    p.probabilities()[i])]++; // a class unseen in training has no row
            }
        }
        return new EvaluationCurves(
                n, p.multiclass(), labels, macro, macroRoc, confusion == null ? null : p.labelNames(), confusion);
    }

    private static Points points(RocCurve r) {
        return new Points(r.fpr(), r.tpr());
    }
}
