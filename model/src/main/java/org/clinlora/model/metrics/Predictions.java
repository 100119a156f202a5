package org.clinlora.model.metrics;

import java.util.List;
import java.util.Map;

/**
 * A model's outputs on an evaluation set, row by row, with what a reviewer needs to recompute every metric: the source
 * row ids (null where the dataset has none), the probability of each label and the true labels. For a row of a
 * multiclass task whose class the training split never had, every truth column is false.
 */
public record Predictions(
        List<String> labelNames, boolean multiclass, List<String> ids, double[][] probabilities, boolean[][] truth) {
    public Predictions {
        if (probabilities.length != truth.length || (ids != null && ids.size() != truth.length)) {
            throw new IllegalArgumentException("ids, probabilities and truth differ in rows");
        }
    }

    public int rows() {
        return truth.length;
    }

    /** The paper's metrics of these predictions ({@link ClassificationMetrics}), multiclass AUROC one-vs-rest. */
    public Map<String, Double> metrics() {
        return metrics(MulticlassAuroc.OVR);
    }

    /** The same with the multiclass AUROC averaged as {@code mode} says (the paper's code: one-vs-one). */
    public Map<String, Double> metrics(MulticlassAuroc mode) {
        return ClassificationMetrics.compute(probabilities, truth, multiclass, mode);
    }
}
