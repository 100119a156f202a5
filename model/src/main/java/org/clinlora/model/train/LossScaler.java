package org.clinlora.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Map;

/**
 * Dynamic loss scaling for half-precision training, as torch's {@code GradScaler}: the loss is multiplied by
 * {@code scale} before backward; before the optimizer step the gradients are divided by it and, if any is inf/NaN, the
 * step is skipped and the scale halved; after {@code growthInterval} clean steps in a row it doubles. The state goes
 * into checkpoints, so a resumed run scales as the uninterrupted one would have.
 */
public final class LossScaler {
    public static final double INIT_SCALE = 65536.0, GROWTH_FACTOR = 2.0, BACKOFF_FACTOR = 0.5;
    public static final int GROWTH_INTERVAL = 2000;

    private double scale;
    private int growthTracker;
    private long skippedSteps;

    public LossScaler() {
        this(INIT_SCALE, 0);
    }

    LossScaler(double scale, int growthTracker) {
        this.scale = scale;
        this.growthTracker = growthTracker;
    }

    public double scale() {
        return scale;
    }

    public long skippedSteps() {
        return skippedSteps;
    }

    /**
     * Divides every gradient by the scale and reports whether all are finite; when not (or when a loss of the window
     * already overflowed, {@code lossesFinite} false), the gradients are zeroed, the scale backs off and the caller
     * skips the optimizer step.
     */
    public boolean unscaleAndCheck(Map<String, NDArray> params, boolean lossesFinite) {
        boolean finite = lossesFinite;
        if (finite) finite = unscale(params);
        update(finite);
        if (!finite) Gradients.zero(params);
        return finite;
    }

    private boolean unscale(Map<String, NDArray> params) {
        boolean finite = true;
        for (NDArray p : params.values()) {
            // a handle on the gradient (closing it leaves the gradient itself), and what is computed from it
            try (NDArray g = p.getGradient()) {
                g.muli((float) (1.0 / scale));
                try (NDArray sum = g.sum();
                        NDArray s64 = sum.toType(DataType.FLOAT64, false)) {
                    finite &= Double.isFinite(s64.getDouble());
                }
            }
        }
        return finite;
    }

    /** GradScaler.update: back off on overflow, grow after a run of clean steps. */
    void update(boolean finite) {
        if (!finite) {
            scale *= BACKOFF_FACTOR;
            growthTracker = 0;
            skippedSteps++;
        } else if (++growthTracker >= GROWTH_INTERVAL) {
            scale *= GROWTH_FACTOR;
            growthTracker = 0;
        }
    }

    /** {@code scaler/scale} and {@code scaler/growth_tracker} as 1-element tensors for a checkpoint. */
    public Map<String, NDArray> stateTensors(NDManager manager) {
        return Map.of(
                "scaler/scale",
                manager.create(new float[] {(float) scale}),
                "scaler/growth_tracker",
                manager.create(new float[] {growthTracker}));
    }

    /** Restores what {@link #stateTensors} saved; a checkpoint without it (an fp32 run) keeps the initial state. */
    public void restore(Map<String, float[]> tensors) {
        float[] s = tensors.get("scaler/scale"), g = tensors.get("scaler/growth_tracker");
        if (s != null) scale = s[0];
        if (g != null) growthTracker = (int) g[0];
    }
}
