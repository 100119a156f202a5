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
import org.clinlora.model.base.StepContext;

/**
 * The causal-LM cross-entropy and its gradient with respect to the hidden states, computed together a chunk of
 * positions at a time, so that the [positions, vocab] logits never exist whole: the "fused linear cross-entropy" of
 * Liger Kernel and Cut Cross-Entropy, here as libtorch ops. For a chunk of hidden states h [n, d], the LM head W
 * [vocab, d], targets y and per-position weights w (1 / predicted tokens, 0 at pads):
 *
 * <pre>
 *   p = softmax(h · Wᵀ)        loss = −Σᵢ wᵢ · log pᵢ[yᵢ]        ∂loss/∂h = w ⊙ (p · W − W[y])
 * </pre>
 *
 * <p>Why: with LLaMA's 32,000-entry vocabulary the logits are a step's largest tensors (131 MB for 4 × 255 positions),
 * and autograd streams them through memory five times (the head's output, log-softmax, the gather's zero-filled
 * gradient, log-softmax's backward, the head's backward) and keeps each alive until backward. Here a chunk's logits
 * become its probabilities in one pass, the head's backward product reads those, and both are freed before the next
 * chunk (without backward, log_softmax alone gives the loss). The FLOPs are the same; the LM head is frozen, so it
 * needs no gradient of its own.
 *
 * <p>The gradient enters the graph through the returned loss: {@code c − detach(c) + loss} with {@code c = Σ h ⊙
 * ∂loss/∂h} has the loss's value and, with respect to h, exactly the gradient above (scaled by whatever backward
 * multiplies the loss by).
 */
final class ChunkedCausalLmLoss {
    /**
     * A chunk's fp32 logits stay within 32 MiB, glibc's largest mmap threshold (and the one the launcher sets:
     * {@code infra/lib.sh}, {@code mmap_threshold}), so every chunk's arrays are reused from the heap instead of being
     * mapped and faulted in afresh: 262 positions for LLaMA's 32,000 tokens. Tuned on the CPU; on a GPU, where no such
     * threshold applies, larger chunks would only cost memory. Measured with `bench train --config small` (it prints
     * page faults per step) on 4 × 255 positions: one chunk of 1,020 ran 800–826 tokens/s with 1,170 page faults per
     * step, chunks of 262 905–938 with 20–476; 32 positions were 30 % slower (oneMKL's GEMMs want rows). The tiny
     * shapes (d 256) lose about 4 % to chunking.
     */
    static int chunkPositions(long vocab) {
        return (int) Math.max(16, (32L << 20) / (vocab * Float.BYTES));
    }

    /**
     * The smallest p[y] whose log the softmax path takes: a margin above fp32's smallest normal number (1.2e-38), below
     * which p[y] loses digits (about 2 % at e^−100) and an underflowed 0 would give −∞.
     */
    static final float MIN_TARGET_PROBABILITY = 1e-30f;

    private ChunkedCausalLmLoss() {}

    /**
     * @param lmHead the frozen LM head weight [vocab, d], in any dtype (computed in fp32)
     * @param predicting the fp32 hidden states [B, T − 1, d] of the positions that predict a token
     * @param targets the token each position predicts, [B × (T − 1)]
     * @param weights each position's share of the mean, [B × (T − 1)]
     * @param chunk positions per chunk, at least 1 ({@link #chunkPositions})
     */
    static NDArray loss(
            StepContext ctx, NDArray lmHead, NDArray predicting, long[] targets, float[] weights, int chunk) {
        if (chunk < 1) throw new IllegalArgumentException("a chunk needs at least 1 position, got " + chunk);
        NDArray head = lmHead;
        if (head.getDataType() != DataType.FLOAT32) {
            head = lmHead.toType(DataType.FLOAT32, false);
            head.attach(ctx.manager()); // the step's, not the model's (whose array was the receiver)
        }
        try {
            return loss(ctx.manager(), head, predicting, targets, weights, chunk);
        } finally {
            if (head != lmHead) head.close();
        }
    }

    private static NDArray loss(
            NDManager step, NDArray head, NDArray predicting, long[] targets, float[] weights, int chunk) {
        int n = targets.length;
        // Under a graph the caller back-propagates the loss. DJL 0.36's hasGradient() answered false for these sliced
        // hidden states inside a gradient collector, so grad mode is what tells training from evaluation.
        boolean backward = JniUtils.isGradMode();
        NDArray detached = predicting.stopGradient();
        NDArray flat = detached.reshape(n, predicting.getShape().get(2));
        // Targets and weights go to the device once; each chunk takes views of them.
        NDArray ys = step.create(targets, new Shape(n, 1)), ws = step.create(weights, new Shape(n, 1));
        NDArray loss = null;
        NDList gradients = new NDList();
        for (int from = 0; from < n; from += chunk) {
            try (NDManager scratch = step.newSubManager()) {
                NDIndex rows = new NDIndex(from + ":" + Math.min(n, from + chunk));
                Chunk c = chunk(scratch, head, flat.get(rows), ys.get(rows), ws.get(rows), backward);
                c.part().attach(step);
                loss = loss == null ? c.part() : loss.add(c.part());
                if (backward) {
                    c.gradient().attach(step);
                    gradients.add(c.gradient());
                }
            }
        }
        new NDList(detached, flat, ys, ws).close();
        if (!backward) return loss;
        NDArray dh = gradients.size() == 1 ? gradients.head() : NDArrays.concat(gradients);
        if (gradients.size() > 1) gradients.close(); // the pieces, now copied into dh
        dh = dh.reshape(predicting.getShape());
        NDArray carried = predicting.mul(dh).sum();
        return carried.sub(carried.stopGradient()).add(loss);
    }

    /**
     * One chunk's results, both still in the chunk's scratch manager.
     *
     * @param part the chunk's loss, a scalar
     * @param gradient ∂loss/∂h [rows, d]; null when not back-propagating
     */
    private record Chunk(NDArray part, NDArray gradient) {}

    /**
     * One chunk: its loss and, when back-propagating, its gradient. Every other array of the chunk is made from h, y or
     * w, so it lands in {@code scratch} and is freed with it.
     */
    private static Chunk chunk(NDManager scratch, NDArray head, NDArray h, NDArray y, NDArray w, boolean backward) {
        h.attach(scratch);
        y.attach(scratch);
        w.attach(scratch);
        NDArray logits = Linear.linear(h, head).singletonOrThrow();
        if (!backward) {
            NDArray part = logSoftmaxLoss(logits, y, w);
            logits.close();
            return new Chunk(part, null);
        }
        NDArray p = logits.softmax(-1);
        NDArray pY = countedTargetProbabilities(p, y, w);
        NDArray part = readsLossFromSoftmax(pY) ? pY.log().mul(w).sum().neg() : logSoftmaxLoss(logits, y, w);
        logits.close(); // each [rows, vocab] array is freed as soon as it is read
        return new Chunk(part, p.matMul(head).sub(picked(head, y)).mul(w));
    }

    /** −Σ w · log_softmax(logits)[y], its [rows, vocab] array freed once read. */
    private static NDArray logSoftmaxLoss(NDArray logits, NDArray y, NDArray w) {
        NDArray logp = logits.logSoftmax(-1);
        NDArray part = logp.gather(y, 1).mul(w).sum().neg();
        logp.close();
        return part;
    }

    /**
     * Each position's p[y], [rows, 1], with positions of weight 0 (pads) counted as 1: they are not read, so a pad
     * token the model finds unlikely neither turns the softmax reading off nor gives 0 · log 0.
     */
    static NDArray countedTargetProbabilities(NDArray p, NDArray y, NDArray w) {
        NDArray gathered = p.gather(y, 1);
        return NDArrays.where(w.gt(0), gathered, gathered.onesLike());
    }

    /**
     * Whether the loss is read from the softmax the gradient needs anyway, −Σ w · log p[y], so that the [rows, vocab]
     * logits go through one pass instead of log_softmax's and then exp's (a fresh array each): `bench train`, steps of
     * the two ways alternated in one process, 1.05× tiny and 1.03× small (2026-12-07). Only where every counted p[y] is
     * at least {@link #MIN_TARGET_PROBABILITY}; otherwise the chunk's loss comes from log_softmax. One scalar read per
     * chunk, a device sync on a GPU.
     */
    static boolean readsLossFromSoftmax(NDArray countedTargetProbabilities) {
        return countedTargetProbabilities.min().getFloat() >= MIN_TARGET_PROBABILITY;
    }

    /** W[y] as an embedding lookup, y the receiver: head.get(y) would land in the model's manager. */
    private static NDArray picked(NDArray head, NDArray y) {
        return Embedding.embedding(y.reshape(y.getShape().get(0)), head, SparseFormat.DENSE)
                .singletonOrThrow();
    }
}
