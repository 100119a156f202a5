package org.clinlora.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import org.clinlora.model.base.InPlace;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.lora.LoraLinear;

/**
 * Grouped-query self-attention (LlamaAttention): q/k/v projections, rotary embedding on q and k, each key/value head
 * shared by {@code num_attention_heads / num_key_value_heads} query heads, softmax(q kᵀ / √d + mask) v, o_proj.
 */
public final class LlamaAttention {
    final LoraLinear qProj, kProj, vProj, oProj;
    private final int numHeads, numKvHeads, numKeyValueGroups, headDim;
    private final float scaling;

    LlamaAttention(LlamaConfig c, LoraLinear q, LoraLinear k, LoraLinear v, LoraLinear o) {
        this.qProj = q;
        this.kProj = k;
        this.vProj = v;
        this.oProj = o;
        this.numHeads = c.numAttentionHeads();
        this.numKvHeads = c.numKeyValueHeads();
        this.numKeyValueGroups = c.numKeyValueGroups();
        this.headDim = c.headDim();
        this.scaling = (float) Math.pow(headDim, -0.5);
    }

    /**
     * @param x [B, T, hidden]
     * @param mask additive [B, 1, T, T]: 0 where a query may attend, the dtype's minimum elsewhere
     */
    NDArray forward(StepContext ctx, NDArray x, NDArray cos, NDArray sin, NDArray mask, ActiveAdapters active) {
        return forward(ctx, x, x, cos, sin, cos, sin, mask, active);
    }

    /**
     * Attention of some query positions over every key position: the same arithmetic as the full forward, for the rows
     * a caller needs (a classifier needs only each row's pooled token in the last layer).
     *
     * @param xq [B, Tq, hidden] the query positions' (normed) states
     * @param xkv [B, T, hidden] every position's (normed) states
     * @param cosQ, sinQ rotary tables of the query positions, broadcastable to [B, Tq, heads, headDim]
     * @param cosK, sinK rotary tables of the key positions, broadcastable to [B, T, heads, headDim]
     * @param mask additive [B, 1, Tq, T]
     */
    NDArray forward(
            StepContext ctx,
            NDArray xq,
            NDArray xkv,
            NDArray cosQ,
            NDArray sinQ,
            NDArray cosK,
            NDArray sinK,
            NDArray mask,
            ActiveAdapters active) {
        long b = xkv.getShape().get(0),
                t = xkv.getShape().get(1),
                tq = xq.getShape().get(1);
        // Rotary embedding on the projections' own contiguous [B, T, heads, d] layout, then heads to dim 1. The
        // 1/√d of the scores is applied to q, [B, Tq, heads, d]: T / d times fewer elements than the [B, heads, Tq, T]
        // scores Hugging Face's eager path scales (as its SDPA path does; rounding differs in the last bits).
        // Without a graph, each of q, k and v is made in a scratch step: the projection, the rotary embedding's and
        // repeat_kv's temporaries are freed at once, and what survives is the [B, heads, T, d] result (a view).
        NDArray q = ctx.scratch(
                s -> {
                    NDArray rotated = RotaryEmbedding.apply(
                            qProj.forward(s, xq, active).reshape(b, tq, numHeads, headDim), cosQ, sinQ);
                    return heads(InPlace.mul(rotated, ctx.scalar(scaling, rotated.getDataType())));
                },
                xq);
        NDArray k = ctx.scratch(
                s -> repeatKv(
                        heads(RotaryEmbedding.apply(
                                kProj.forward(s, xkv, active).reshape(b, t, numKvHeads, headDim), cosK, sinK)),
                        b,
                        t),
                xkv);
        NDArray v = ctx.scratch(
                s -> repeatKv(heads(vProj.forward(s, xkv, active).reshape(b, t, numKvHeads, headDim)), b, t), xkv);
        DataType dtype = q.getDataType();
        boolean upcast = dtype != DataType.FLOAT32 && !q.getDevice().isGpu();
        // libtorch's CPU half matmul is fast only for x·Wᵀ; the attention products would take its slow path (~150x),
        // so on CPU the attention core runs in fp32 from the half q, k, v (no graph: see backwardByLayer).
        NDArray qc = upcast ? q.toType(DataType.FLOAT32, false) : q,
                kc = upcast ? k.toType(DataType.FLOAT32, false) : k,
                vc = upcast ? v.toType(DataType.FLOAT32, false) : v;
        // The same states for queries and keys: every position over every position, under LLaMA's causal mask. The
        // core's scratch step borrows q, k, v and the mask, so that their slices and transposes go with it too.
        boolean selfAttention = xq == xkv;
        NDArray attended = ctx.scratch(
                s -> {
                    NDArray out = (selfAttention
                                    ? causalCore(qc, kc, vc, mask)
                                    : core(qc, kc, vc, mask).transpose(0, 2, 1, 3))
                            .reshape(b, tq, (long) numHeads * headDim);
                    return out.getDataType() == dtype ? out : out.toType(dtype, false);
                },
                qc,
                kc,
                vc,
                mask);
        InPlace.release(q, k, v, qc, kc, vc);
        NDArray out = oProj.forward(ctx, attended, active);
        InPlace.release(attended);
        return out;
    }

    /**
     * The least query rows of a block of {@link #causalCore}: ⌊T / 128⌋ equal blocks, so 128–255 rows each and no
     * blocks below 256 positions. At 256 positions (the small forward, 2 cores) blocks of 128 ran 1.02-1.05x the whole
     * matrix and blocks of 64 0.97-1.09x; at 128 positions blocks of 64 ran 0.94-0.99x.
     */
    static final int MIN_QUERY_BLOCK = 128;

    /**
     * The attention core of every position over every position, [B, T, heads, d]. Without a graph it runs in blocks of
     * query rows ({@link #MIN_QUERY_BLOCK}): the causal mask hides every key after a block's last query, so each block
     * multiplies by the keys up to there only (two blocks do 3/4 of the whole products and softmax, four 5/8). The same
     * numbers up to float rounding: every query row keeps its first key ({@link TokenBatch} refuses rows that start
     * with a pad), so the keys left out weigh exactly zero. Under a graph it stays whole: each slice's backward would
     * write a zero-filled full-size gradient of k and v (measured slower).
     */
    private static NDArray causalCore(NDArray q, NDArray k, NDArray v, NDArray mask) {
        long t = q.getShape().get(2);
        int blocks = causalBlocks(t);
        if (blocks == 1 || JniUtils.isGradMode()) return core(q, k, v, mask).transpose(0, 2, 1, 3);
        NDList outs = new NDList();
        for (int i = 0; i < blocks; i++) {
            long from = t * i / blocks, to = t * (i + 1) / blocks;
            NDArray keys = k.get(KEYS, to), values = v.get(KEYS, to);
            NDArray m = mask.get(BLOCK_MASK, from, to, to);
            outs.add(core(q.get(QUERIES, from, to), keys, values, m).transpose(0, 2, 1, 3));
        }
        return NDArrays.concat(outs, 1); // [B, T, heads, d], contiguous: the concat is the transpose's copy
    }

    private static int causalBlocks(long seqLen) {
        return (int) Math.max(1, seqLen / MIN_QUERY_BLOCK);
    }

    /**
     * The share of the whole T x T attention products a forward without a graph computes: (n + 1) / 2n for n blocks of
     * query rows (what a benchmark's FLOP count of the blocked forward uses).
     */
    public static double blockedProductShare(int seqLen) {
        int n = causalBlocks(seqLen);
        return (n + 1) / (2.0 * n);
    }

    private static final String QUERIES = ":, :, {}:{}", KEYS = ":, :, :{}", BLOCK_MASK = ":, :, {}:{}, :{}";

    /** softmax(q kᵀ + mask) v, [B, heads, Tq, d]; q already carries the 1/√d. */
    private static NDArray core(NDArray q, NDArray k, NDArray v, NDArray mask) {
        NDArray scores = InPlace.add(q.matMul(k.transpose(0, 1, 3, 2)), mask);
        // As Hugging Face: softmax in fp32 whatever the compute dtype, the probabilities cast back to it.
        NDArray probs = scores.getDataType() == DataType.FLOAT32
                ? scores.softmax(-1)
                : scores.toType(DataType.FLOAT32, false).softmax(-1).toType(scores.getDataType(), false);
        InPlace.release(scores);
        NDArray out = probs.matMul(v);
        InPlace.release(probs);
        return out;
    }

    /** [B, T, n, d] → [B, n, T, d]. */
    private static NDArray heads(NDArray x) {
        return x.transpose(0, 2, 1, 3);
    }

    /** Each key/value head serves numHeads/numKvHeads query heads (repeat_kv). */
    private NDArray repeatKv(NDArray x, long b, long t) {
        int rep = numKeyValueGroups;
        if (rep == 1) return x;
        return x.expandDims(2)
                .broadcast(new Shape(b, numKvHeads, rep, t, headDim))
                .reshape(b, numHeads, t, headDim);
    }
}
