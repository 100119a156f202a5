package org.clinlora.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Arrays;
import org.clinlora.model.base.StepContext;

/**
 * The causal-LM cross-entropy and its gradient with respect to the hidden states, computed together a chunk of
 * positions at a time, so that the [positions, vocab] logits never exist whole: the "fused linear cross-entropy" of
 * Liger Kernel and Cut Cross-Entropy, here as libtorch ops. For a chunk of hidden states h [n, d], the LM head W
 * [vocab, d], targets y and per-position weights w (1 / predicted tokens, 0 at pads):
 *
 * <pre>
 *   log p = log_softmax(h · Wᵀ)        loss = −Σᵢ wᵢ · log pᵢ[yᵢ]        ∂loss/∂h = w ⊙ (exp(log p) · W − W[y])
 * </pre>
 *
 * <p>Why: with LLaMA's 32,000-entry vocabulary the logits are a step's largest tensors (131 MB for 4 × 255 positions),
 * and autograd streams them through memory five times (the head's output, log-softmax, the gather's zero-filled
 * gradient, log-softmax's backward, the head's backward) and keeps each alive until backward. Here a chunk's logits are
 * read three times and freed before the next chunk. The FLOPs are the same; the LM head is frozen, so it needs no
 * gradient of its own.
 *
 * <p>The gradient enters the graph through the returned loss: {@code c − detach(c) + loss} with {@code c = Σ h ⊙
 * ∂loss/∂h} has the loss's value and, with respect to h, exactly the gradient above (scaled by whatever backward
 * multiplies the loss by).
 */
final class ChunkedCausalLmLoss {
    /**
     * A chunk's fp32 logits stay within 32 MiB, glibc's largest mmap threshold (and the one the launcher sets), so
     * every chunk's arrays are reused from the heap instead of being mapped and faulted in afresh: 262 positions for
     * LLaMA's 32,000 tokens. Measured on the comparison's small shapes (4 × 255 positions, `bench train --config
     * small`): one chunk of 1,020 ran 800–826 tokens/s with 1,170 page faults per step, chunks of 262 905–938 with
     * 20–476; 32 positions were 30 % slower (oneMKL's GEMMs want rows).
     */
    static int chunkPositions(long vocab) {
        return (int) Math.max(16, (32L << 20) / (vocab * Float.BYTES));
    }

    private ChunkedCausalLmLoss() {}

    /**
     * @param lmHead the frozen LM head weight [vocab, d], in any dtype (computed in fp32)
     * @param predicting the fp32 hidden states [B, T − 1, d] of the positions that predict a token
     * @param targets the token each position predicts, [B × (T − 1)]
     * @param weights each position's share of the mean, [B × (T − 1)]
     */
    static NDArray loss(
            StepContext ctx, NDArray lmHead, NDArray predicting, long[] targets, float[] weights, int chunk) {
        NDArray head = lmHead.getDataType() == DataType.FLOAT32 ? lmHead : lmHead.toType(DataType.FLOAT32, false);
        try {
            return loss(ctx.manager(), head, predicting, targets, weights, chunk);
        } finally {
            if (head != lmHead) head.close();
        }
    }

    private static NDArray loss(
            NDManager step, NDArray head, NDArray predicting, long[] targets, float[] weights, int chunk) {
        int n = targets.length;
        // Under a graph the caller back-propagates the loss (DJL's hasGradient() is false for non-leaf arrays).
        boolean backward = JniUtils.isGradMode();
        NDArray flat =
                predicting.stopGradient().reshape(n, predicting.getShape().get(2));
        NDArray loss = null;
        NDList gradients = new NDList();
        for (int from = 0; from < n; from += chunk) {
            int to = Math.min(n, from + chunk);
            try (NDManager scratch = step.newSubManager()) {
                NDArray h = flat.get(new NDIndex(from + ":" + to));
                h.attach(scratch); // every array of the chunk is made from h, so it lands in scratch
                NDArray y = scratch.create(Arrays.copyOfRange(targets, from, to), new Shape(to - from, 1));
                NDArray w = scratch.create(Arrays.copyOfRange(weights, from, to), new Shape(to - from, 1));
                NDArray logits = Linear.linear(h, head).singletonOrThrow();
                NDArray logp = logits.logSoftmax(-1);
                logits.close(); // each [n, vocab] array is freed as soon as it is read
                NDArray part = logp.gather(y, 1).mul(w).sum().neg();
                part.attach(step);
                loss = loss == null ? part : loss.add(part);
                if (backward) {
                    NDArray p = logp.exp();
                    logp.close();
                    NDArray picked = Embedding.embedding(y.reshape(to - from), head, SparseFormat.DENSE)
                            .singletonOrThrow();
                    NDArray g = p.matMul(head).sub(picked).mul(w);
                    g.attach(step);
                    gradients.add(g);
                }
            }
        }
        flat.close();
        if (!backward) return loss;
        NDArray dh =
                (gradients.size() == 1 ? gradients.head() : NDArrays.concat(gradients)).reshape(predicting.getShape());
        NDArray carried = predicting.mul(dh).sum();
        return carried.sub(carried.stopGradient()).add(loss);
    }
}
