package org.clinlora.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;

/** Gradient bookkeeping between micro-steps: global-norm clipping and zeroing. */
public final class Gradients {
    private Gradients() {}

    /**
     * Scales all gradients so that their global L2 norm is at most {@code maxNorm} (clip_grad_norm_), returning the
     * norm before clipping.
     */
    public static double clipGlobalNorm(Map<String, NDArray> params, double maxNorm, NDManager scratch) {
        try (NDManager tmp = scratch.newSubManager()) {
            double sq = 0;
            NDArray[] grads = new NDArray[params.size()];
            int i = 0;
            for (NDArray p : params.values()) {
                NDArray g = p.getGradient();
                g.attach(tmp);
                grads[i++] = g;
                sq += g.mul(g).sum().toType(DataType.FLOAT64, false).getDouble();
            }
            double norm = Math.sqrt(sq);
            double coef = maxNorm / (norm + 1e-6);
            if (maxNorm > 0 && coef < 1) for (NDArray g : grads) g.muli(coef);
            return norm;
        }
    }

    /** Zeroes the accumulated gradient of each parameter (PyTorch accumulates across backward calls). */
    public static void zero(Map<String, NDArray> params) {
        for (NDArray p : params.values()) JniUtils.zeroGrad((PtNDArray) p);
    }
}
