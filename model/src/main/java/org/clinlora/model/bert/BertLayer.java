package org.clinlora.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.lora.LoraLinear;

/**
 * One post-LN encoder layer as {@code BertLayer} computes it:
 *
 * <pre>
 * a = LayerNorm(x + dropout(dense(self_attention(x))))          BertAttention (BertSelfAttention + BertSelfOutput)
 * y = LayerNorm(a + dropout(dense(gelu(dense(a)))))             BertIntermediate + BertOutput
 * </pre>
 *
 * Self-attention uses biased query/key/value projections, 1/√d scaling, the additive padding mask and dropout on the
 * attention probabilities. Every Linear is a {@link LoraLinear}, so PEFT's targets (query, value, …) stack on it.
 */
final class BertLayer {
    final LoraLinear query, key, value, attentionOutput, intermediate, output;
    final NDArray attentionNormWeight, attentionNormBias, outputNormWeight, outputNormBias;
    private final BertConfig config;

    BertLayer(
            BertConfig config,
            LoraLinear query,
            LoraLinear key,
            LoraLinear value,
            LoraLinear attentionOutput,
            NDArray attentionNormWeight,
            NDArray attentionNormBias,
            LoraLinear intermediate,
            LoraLinear output,
            NDArray outputNormWeight,
            NDArray outputNormBias) {
        this.config = config;
        this.query = query;
        this.key = key;
        this.value = value;
        this.attentionOutput = attentionOutput;
        this.attentionNormWeight = attentionNormWeight;
        this.attentionNormBias = attentionNormBias;
        this.intermediate = intermediate;
        this.output = output;
        this.outputNormWeight = outputNormWeight;
        this.outputNormBias = outputNormBias;
    }

    /**
     * @param x [B, T, hidden]
     * @param mask additive [B, 1, 1, T]: 0 for real keys, float32's minimum for padding
     */
    NDArray forward(StepContext ctx, NDArray x, NDArray mask, ActiveAdapters active) {
        long b = x.getShape().get(0), t = x.getShape().get(1);
        int heads = config.numAttentionHeads(), d = config.headDim();
        NDArray q = heads(query.forward(ctx, x, active), b, t, heads, d);
        NDArray k = heads(key.forward(ctx, x, active), b, t, heads, d);
        NDArray v = heads(value.forward(ctx, x, active), b, t, heads, d);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2))
                .mul(ctx.scalar((float) (1.0 / Math.sqrt(d))))
                .add(mask);
        NDArray probs = dropout(ctx, scores.softmax(-1), config.attentionProbsDropoutProb());
        NDArray context = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, config.hiddenSize());
        NDArray attended = dropout(ctx, attentionOutput.forward(ctx, context, active), config.hiddenDropoutProb());
        NDArray a = layerNorm(attended.add(x), attentionNormWeight, attentionNormBias, config.layerNormEps());
        NDArray inner =
                intermediate.forward(ctx, a, active).getNDArrayInternal().gelu(); // erf GELU, hidden_act "gelu"
        NDArray out = dropout(ctx, output.forward(ctx, inner, active), config.hiddenDropoutProb());
        return layerNorm(out.add(a), outputNormWeight, outputNormBias, config.layerNormEps());
    }

    /** [B, T, heads·d] → [B, heads, T, d]. */
    private static NDArray heads(NDArray x, long b, long t, int heads, int d) {
        return x.reshape(b, t, heads, d).transpose(0, 2, 1, 3);
    }

    static NDArray layerNorm(NDArray x, NDArray weight, NDArray bias, double eps) {
        return LayerNorm.layerNorm(
                        x, new Shape(x.getShape().get(x.getShape().dimension() - 1)), weight, bias, (float) eps)
                .singletonOrThrow();
    }

    /** Dropout while training (a no-op at p = 0 and in evaluation). */
    static NDArray dropout(StepContext ctx, NDArray x, double p) {
        return ctx.dropout(x, (float) p);
    }
}
