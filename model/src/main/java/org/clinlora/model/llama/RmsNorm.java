package org.clinlora.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import org.clinlora.model.base.InPlace;
import org.clinlora.model.base.StepContext;

/** LlamaRMSNorm: {@code weight * x / sqrt(mean(x²) + eps)}, computed in fp32 whatever the compute dtype. */
public final class RmsNorm {
    private final NDArray weight;
    private final float eps;

    public RmsNorm(NDArray weight, double eps) {
        this.weight = weight;
        this.eps = (float) eps;
    }

    public NDArray weight() {
        return weight;
    }

    /** As LlamaRMSNorm: normalise in fp32, cast back to the input dtype, then scale by the weight. */
    public NDArray forward(StepContext ctx, NDArray x) {
        DataType in = x.getDataType();
        boolean upcast = in != DataType.FLOAT32; // half only without a graph: training recomputes layers in fp32
        NDArray h = upcast ? x.toType(DataType.FLOAT32, false) : x;
        NDArray squares = h.mul(h);
        NDArray variance = squares.mean(new int[] {-1}, true);
        InPlace.release(squares);
        NDArray normed = h.div(variance.add(ctx.scalar(eps, h.getDataType())).sqrt());
        if (upcast) {
            NDArray cast = normed.toType(in, false);
            InPlace.release(normed, h); // h is x's fp32 copy here, never x
            normed = cast;
        }
        return InPlace.mul(normed, weight);
    }
}
