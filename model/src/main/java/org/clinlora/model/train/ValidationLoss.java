package org.clinlora.model.train;

/**
 * The mean loss per row of a classification model on an evaluation set, from its logits: cross-entropy for single-label
 * tasks, binary cross-entropy averaged over the labels for multi-label ones — what the model's training loss computes,
 * without class weights (the paper's code selected its revised checkpoints by this loss; it averaged per-batch means,
 * which equals this when the batches are of one size). A row whose class the training split never had is left out.
 */
final class ValidationLoss {
    private final boolean multilabel;
    private final int labels;
    private double sum;
    private long rows;

    ValidationLoss(boolean multilabel, int labels) {
        this.multilabel = multilabel;
        this.labels = labels;
    }

    /** One batch's logits [B, C] (row-major) against its targets. */
    void add(float[] logits, TrainingBatches.Batch b) {
        int n = b.tokens().batchSize();
        for (int i = 0; i < n; i++) {
            int at = i * labels;
            if (multilabel) {
                double row = 0;
                for (int j = 0; j < labels; j++) {
                    double x = logits[at + j], y = b.multiHot()[at + j];
                    row += Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
                }
                sum += row / labels;
                rows++;
            } else {
                long cls = b.classes()[i];
                if (cls < 0) continue;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < labels; j++) max = Math.max(max, logits[at + j]);
                double z = 0;
                for (int j = 0; j < labels; j++) z += Math.exp(logits[at + j] - max);
                sum += Math.log(z) + max - logits[at + (int) cls];
                rows++;
            }
        }
    }

    double mean() {
        return rows == 0 ? Double.NaN : sum / rows;
    }
}
