package org.clinlora.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, step for step as {@code torch.optim.AdamW} computes it:
 * <pre>
 *   p ← p·(1 − lr·wd);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²
 *   p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
 * </pre>
 * Moments live in the optimiser's own manager; every temporary of a step is freed when the step ends.
 */
public final class AdamW implements AutoCloseable {

    public record Settings(double beta1, double beta2, double eps, double weightDecay) {
        public static final Settings DEFAULT = new Settings(0.9, 0.999, 1e-8, 0.0);
    }

    private final Settings s;
    private final NDManager manager;
    private final Map<String, NDArray[]> moments = new LinkedHashMap<>();
    private int step;

    public AdamW(NDManager parent, Settings settings) {
        this.s = settings;
        this.manager = parent.newSubManager();
    }

    public int stepCount() {
        return step;
    }

    /** Applies one update to each parameter from its accumulated gradient. */
    public void step(Map<String, NDArray> params, double lr) {
        step++;
        double bc1 = 1 - Math.pow(s.beta1, step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(s.beta2, step));
        try (NDManager tmp = manager.newSubManager()) {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray p = e.getValue();
                NDArray[] mv = moments.computeIfAbsent(e.getKey(), k -> new NDArray[] {
                        manager.zeros(p.getShape(), p.getDataType(), p.getDevice()),
                        manager.zeros(p.getShape(), p.getDataType(), p.getDevice())});
                tmp.tempAttachAll(mv[0], mv[1]);
                NDArray g = p.getGradient();
                g.attach(tmp);
                if (s.weightDecay != 0) p.muli(1 - lr * s.weightDecay);
                mv[0].muli(s.beta1).addi(g.mul(1 - s.beta1));
                mv[1].muli(s.beta2).addi(g.mul(g).muli(1 - s.beta2));
                NDArray denom = mv[1].sqrt().divi(bc2Sqrt).addi(s.eps);
                p.subi(mv[0].div(denom).muli(lr / bc1));
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
