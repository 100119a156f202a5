package org.clinlora.model.llama;

import ai.djl.ndarray.NDArray;
import org.clinlora.model.base.InPlace;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.lora.ActiveAdapters;

/** Pre-norm residual block: h = x + attn(norm(x)); out = h + mlp(norm(h)). */
public final class LlamaDecoderLayer {
    final LlamaAttention selfAttn;
    final LlamaMlp mlp;
    final RmsNorm inputLayernorm, postAttentionLayernorm;

    LlamaDecoderLayer(LlamaAttention selfAttn, LlamaMlp mlp, RmsNorm inputLayernorm, RmsNorm postAttentionLayernorm) {
        this.selfAttn = selfAttn;
        this.mlp = mlp;
        this.inputLayernorm = inputLayernorm;
        this.postAttentionLayernorm = postAttentionLayernorm;
    }

    NDArray forward(StepContext ctx, NDArray x, NDArray cos, NDArray sin, NDArray mask, ActiveAdapters active) {
        NDArray normed = inputLayernorm.forward(ctx, x);
        NDArray h = InPlace.add(selfAttn.forward(ctx, normed, cos, sin, mask, active), x);
        InPlace.release(normed);
        return mlpResidual(ctx, h, active);
    }

    /**
     * The block's output at the positions {@code select} picks only ([B, Tq, T] one-hot rows): keys and values still
     * come from every position, but queries, o_proj, the residuals and the MLP run on the picked rows alone.
     */
    NDArray forwardAt(
            StepContext ctx,
            NDArray x,
            NDArray select,
            NDArray cosQ,
            NDArray sinQ,
            NDArray cos,
            NDArray sin,
            NDArray maskQ,
            ActiveAdapters active) {
        NDArray normed = inputLayernorm.forward(ctx, x);
        NDArray normedQ = select.matMul(normed);
        NDArray h = InPlace.add(
                select.matMul(x), selfAttn.forward(ctx, normedQ, normed, cosQ, sinQ, cos, sin, maskQ, active));
        InPlace.release(normed, normedQ);
        return mlpResidual(ctx, h, active);
    }

    /** The block's second half, {@code h + mlp(norm(h))}, freeing h and its norm once read (no graph). */
    private NDArray mlpResidual(StepContext ctx, NDArray h, ActiveAdapters active) {
        NDArray normedH = postAttentionLayernorm.forward(ctx, h);
        NDArray out = InPlace.add(mlp.forward(ctx, normedH, active), h);
        InPlace.release(normedH, h);
        return out;
    }
}
