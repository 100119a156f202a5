package org.clinlora.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.concurrent.ConcurrentHashMap;
import org.clinlora.model.base.InPlace;
import org.clinlora.model.base.StepContext;

/**
 * Rotary position embedding in Hugging Face's rotate_half convention: {@code q·cos + rotate_half(q)·sin}, with
 * {@code rotate_half(x) = [-x₂, x₁]} over the two halves of the head dimension. Angles are computed in float32 the way
 * LlamaRotaryEmbedding computes them (position × inv_freq in float), so long positions round identically.
 */
public final class RotaryEmbedding {
    private final int headDim;
    private final float[] invFreq;
    private final ConcurrentHashMap<Integer, float[][]> cache = new ConcurrentHashMap<>();

    public RotaryEmbedding(LlamaConfig config) {
        this.headDim = config.headDim();
        int half = headDim / 2;
        this.invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / headDim;
            invFreq[i] = (float) (1.0 / (float) Math.pow(config.ropeTheta(), exponent));
        }
        LlamaConfig.RopeScaling s = config.ropeScaling();
        if (s != null && s.type().equals("linear")) {
            for (int i = 0; i < half; i++) invFreq[i] = (float) (invFreq[i] / s.factor());
        } else if (s != null && s.type().equals("llama3")) {
            llama3(s);
        }
    }

    /** Llama 3.1: long wavelengths divided by factor, short ones kept, a smooth blend between. */
    private void llama3(LlamaConfig.RopeScaling s) {
        double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        for (int i = 0; i < invFreq.length; i++) {
            double wavelen = 2 * Math.PI / invFreq[i];
            if (wavelen > lowWavelen) {
                invFreq[i] = (float) (invFreq[i] / s.factor());
            } else if (wavelen >= highWavelen) {
                double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                invFreq[i] = (float) ((1 - smooth) * invFreq[i] / s.factor() + smooth * invFreq[i]);
            }
        }
    }

    /** The rotary frequencies after any rope_scaling, one per pair of dimensions (a copy, for tests). */
    float[] invFreq() {
        return invFreq.clone();
    }

    /** cos and sin tables [seqLen, headDim] for positions 0..seqLen-1, computed once per length. */
    private float[][] tables(int seqLen) {
        return cache.computeIfAbsent(seqLen, t -> {
            float[] cos = new float[t * headDim], sin = new float[t * headDim];
            int half = headDim / 2;
            for (int p = 0; p < t; p++) {
                float pos = p;
                for (int i = 0; i < half; i++) {
                    float angle = pos * invFreq[i];
                    float c = (float) Math.cos(angle), s = (float) Math.sin(angle);
                    cos[p * headDim + i] = c;
                    cos[p * headDim + half + i] = c;
                    sin[p * headDim + i] = s;
                    sin[p * headDim + half + i] = s;
                }
            }
            return new float[][] {cos, sin};
        });
    }

    /** cos and sin [T, 1, headDim] in the step's dtype, to be broadcast over [B, T, heads, headDim]. */
    public NDList cosSin(StepContext ctx, int seqLen) {
        float[][] t = tables(seqLen);
        Shape shape = new Shape(seqLen, 1, headDim);
        NDArray cos = ctx.manager().create(t[0], shape).toType(ctx.dtype(), false);
        NDArray sin = ctx.manager().create(t[1], shape).toType(ctx.dtype(), false);
        return new NDList(cos, sin);
    }

    /** cos and sin [B, 1, 1, headDim] at one position per row (the query rows of a pooled classifier's last layer). */
    public NDList cosSinAt(StepContext ctx, int[] positions, int seqLen) {
        float[][] t = tables(seqLen);
        float[] cos = new float[positions.length * headDim], sin = new float[positions.length * headDim];
        for (int r = 0; r < positions.length; r++) {
            System.arraycopy(t[0], positions[r] * headDim, cos, r * headDim, headDim);
            System.arraycopy(t[1], positions[r] * headDim, sin, r * headDim, headDim);
        }
        Shape shape = new Shape(positions.length, 1, 1, headDim);
        return new NDList(
                ctx.manager().create(cos, shape).toType(ctx.dtype(), false),
                ctx.manager().create(sin, shape).toType(ctx.dtype(), false));
    }

    /** Applies the rotation to x [..., headDim] with cos and sin broadcast to its shape. */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        NDList halves = x.split(2, x.getShape().dimension() - 1);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), -1);
        return InPlace.add(x.mul(cos), InPlace.mul(rotated, sin));
    }
}
