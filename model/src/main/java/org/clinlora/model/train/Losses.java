package org.clinlora.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;

/**
 * The three objectives of the paper, each a mean as PyTorch's default reduction computes it (class-weighted for
 * cross-entropy when asked). Composed from ops that keep the autograd graph (log-softmax + gather, relu/abs/exp/log),
 * with scalars owned by the step.
 */
public final class Losses {
    private Losses() {}

    /**
     * The causal-LM loss from the final hidden states [B, T, d], as training and validation compute it: the LM head
     * runs on the T - 1 positions that predict a token only, and for fp32 hidden states a chunk of positions at a time
     * with the loss's gradient ({@link ChunkedCausalLmLoss}), so the [B, T - 1, vocab] logits (with LLaMA's
     * 32,000-entry vocabulary the largest tensors of a step) never exist whole. Half-precision hidden states (fp16
     * evaluation on a GPU), a model that does not expose its head's weight and a head that trains itself go through
     * {@link BaseModel#lmLogits} whole.
     */
    public static NDArray causalLm(StepContext ctx, BaseModel model, NDArray hidden, TokenBatch batch) {
        return causalLm(
                ctx,
                model,
                hidden,
                batch,
                ChunkedCausalLmLoss.chunkPositions(model.config().vocabSize()));
    }

    /** The same with a given chunk of positions (tests: several chunks in a small batch). */
    static NDArray causalLm(StepContext ctx, BaseModel model, NDArray hidden, TokenBatch batch, int chunk) {
        Targets targets = targets(batch); // before the LM head runs
        NDArray predicting = hidden.get(new NDIndex(":, :-1, :"));
        NDArray head = model.lmHeadWeight();
        if (head == null || head.hasGradient() || hidden.getDataType() != DataType.FLOAT32)
            return causalLm(ctx, model.lmLogits(ctx, predicting), batch, targets);
        return ChunkedCausalLmLoss.loss(ctx, head, predicting, targets.ids(), targets.weights(), chunk);
    }

    /**
     * Causal-LM loss as LlamaForCausalLM computes it: position t predicts token t+1, labels are the input ids with pads
     * ignored, averaged over the predicted (non-pad) tokens. {@code logits} hold all T positions (the last one is not
     * read) or only the T - 1 that predict a token.
     */
    public static NDArray causalLm(StepContext ctx, NDArray logits, TokenBatch batch) {
        return causalLm(ctx, logits, batch, targets(batch));
    }

    private static NDArray causalLm(StepContext ctx, NDArray logits, TokenBatch batch, Targets targets) {
        int b = batch.batchSize(), t = batch.seqLen();
        long positions = logits.getShape().get(1);
        if (positions != t && positions != t - 1) {
            throw new IllegalArgumentException("logits hold " + positions + " positions for rows of " + t + " tokens");
        }
        NDArray predicting = positions == t ? logits.get(new NDIndex(":, :-1, :")) : logits;
        NDArray logp = predicting.logSoftmax(-1);
        NDArray picked = logp.gather(ctx.manager().create(targets.ids(), new Shape(b, t - 1, 1)), 2)
                .reshape(b, t - 1);
        return picked.mul(ctx.manager().create(targets.weights(), new Shape(b, t - 1)))
                .sum()
                .neg();
    }

    /**
     * The token each of the B × (T − 1) predicting positions predicts, and its weight: 1 / predicted tokens, 0 at pads.
     */
    private record Targets(long[] ids, float[] weights) {}

    private static Targets targets(TokenBatch batch) {
        if (batch.seqLen() < 2)
            throw new IllegalArgumentException("causal-LM loss needs sequences of at least 2 tokens");
        int b = batch.batchSize(), t = batch.seqLen();
        long[] ids = new long[b * (t - 1)];
        float[] weights = new float[b * (t - 1)];
        int count = 0;
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < t - 1; i++) {
                ids[r * (t - 1) + i] = batch.inputIds()[r * t + i + 1];
                if (batch.attentionMask()[r * t + i + 1] == 1) {
                    weights[r * (t - 1) + i] = 1f;
                    count++;
                }
            }
        }
        if (count == 0) throw new IllegalArgumentException("no token to predict: every row has a single real token");
        for (int i = 0; i < weights.length; i++) weights[i] /= count;
        return new Targets(ids, weights);
    }

    /** Multiclass cross-entropy of logits [B, C] against class indices, the mean over rows. */
    public static NDArray crossEntropy(StepContext ctx, NDArray logits, long[] labels) {
        return crossEntropy(ctx, logits, labels, null);
    }

    /**
     * Multiclass cross-entropy of logits [B, C] against class indices, weighted per class as PyTorch's
     * {@code F.cross_entropy(logits, labels, weight=w)}: {@code Σ w[y_i]·nll_i / Σ w[y_i]}, the weighted mean the
     * paper's code trains multiclass tasks with ({@link ClassWeights}); the plain mean when {@code classWeights} is
     * null.
     */
    public static NDArray crossEntropy(StepContext ctx, NDArray logits, long[] labels, float[] classWeights) {
        long b = logits.getShape().get(0), c = logits.getShape().get(1);
        if (labels.length != b) throw new IllegalArgumentException("expected " + b + " labels, got " + labels.length);
        for (long l : labels)
            if (l < 0 || l >= c) throw new IllegalArgumentException("label " + l + " outside [0, " + c + ")");
        NDArray picked = logits.logSoftmax(-1).gather(ctx.manager().create(labels, new Shape(b, 1)), 1);
        if (classWeights == null) return picked.mean().neg();
        if (classWeights.length != c) {
            throw new IllegalArgumentException("expected " + c + " class weights, got " + classWeights.length);
        }
        // The normalised row weights are constants of the step: only the log-probabilities carry gradient.
        double total = 0;
        for (long l : labels) total += classWeights[(int) l];
        if (!(total > 0) || Double.isInfinite(total)) {
            throw new IllegalArgumentException("the class weights of this batch's labels sum to " + total);
        }
        float[] rowWeights = new float[(int) b];
        for (int i = 0; i < b; i++) rowWeights[i] = (float) (classWeights[(int) labels[i]] / total);
        NDArray w = ctx.manager().create(rowWeights, new Shape(b, 1));
        if (w.getDataType() != picked.getDataType()) w = w.toType(picked.getDataType(), false);
        return picked.mul(w).sum().neg();
    }

    /**
     * Binary cross-entropy with logits for binary and multilabel tasks, the numerically stable form {@code max(x,0) −
     * x·y + log(1 + e^{−|x|})}, averaged over every row and label.
     */
    public static NDArray bceWithLogits(StepContext ctx, NDArray logits, float[] targets) {
        if (targets.length != logits.getShape().size()) {
            throw new IllegalArgumentException(
                    "expected " + logits.getShape().size() + " targets, got " + targets.length);
        }
        NDArray y = ctx.manager().create(targets, logits.getShape());
        NDArray softplus = logits.abs().neg().exp().add(ctx.scalar(1f)).log();
        return Activation.relu(logits).sub(logits.mul(y)).add(softplus).mean();
    }
}
