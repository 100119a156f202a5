package org.clinlora.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, step for step as {@code torch.optim.AdamW} computes it:
 *
 * <pre>
 *   p ← p·(1 − lr·wd);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²
 *   p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
 * </pre>
 *
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
                    manager.zeros(p.getShape(), p.getDataType(), p.getDevice())
                });
                tmp.tempAttachAll(mv[0], mv[1]);
                NDArray g = p.getGradient();
                g.attach(tmp);
                if (s.weightDecay != 0 && decays(e.getKey())) p.muli(1 - lr * s.weightDecay);
                mv[0].muli(s.beta1).addi(g.mul(1 - s.beta1));
                mv[1].muli(s.beta2).addi(g.mul(g).muli(1 - s.beta2));
                NDArray denom = mv[1].sqrt().divi(bc2Sqrt).addi(s.eps);
                p.subi(mv[0].div(denom).muli(lr / bc1));
            }
        }
    }

    /**
     * Hugging Face Trainer's rule: biases and LayerNorm weights are not decayed (BERT's; LoRA pairs and LLaMA's score
     * head have neither).
     */
    static boolean decays(String key) {
        return !key.endsWith(".bias") && !key.contains("LayerNorm");
    }

    /** The moments by parameter key as {@code exp_avg/<key>} and {@code exp_avg_sq/<key>} (torch's state names). */
    public Map<String, NDArray> stateTensors() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        moments.forEach((k, mv) -> {
            out.put("exp_avg/" + k, mv[0]);
            out.put("exp_avg_sq/" + k, mv[1]);
        });
        return out;
    }

    /** Restores the step count and the moments saved by {@link #stateTensors()} (values as float32). */
    public void restore(int stepCount, Map<String, float[]> state, Map<String, NDArray> params) {
        this.step = stepCount;
        moments.values().forEach(mv -> {
            mv[0].close();
            mv[1].close();
        });
        moments.clear();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            float[] m = state.get("exp_avg/" + e.getKey()), v = state.get("exp_avg_sq/" + e.getKey());
            if (m == null || v == null) {
                if (stepCount == 0) continue;
                throw new IllegalArgumentException("optimizer state has no moments for " + e.getKey());
            }
            NDArray p = e.getValue();
            moments.put(e.getKey(), new NDArray[] {
                manager.create(m, p.getShape()).toType(p.getDataType(), false).toDevice(p.getDevice(), false),
                manager.create(v, p.getShape()).toType(p.getDataType(), false).toDevice(p.getDevice(), false)
            });
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
