package org.clinlora.model.train;

/**
 * Linear warm-up from 0 to the peak learning rate, then linear decay to 0 at the last step
 * ({@code get_linear_schedule_with_warmup} in transformers). Warm-up steps may be a fraction, as transformers accepts
 * them: 0.06 gives step 0 a rate of 0 and decays from step 1 on.
 */
public record LinearSchedule(double peakLr, double warmupSteps, int totalSteps) {

    public LinearSchedule {
        if (peakLr <= 0) throw new IllegalArgumentException("learning rate must be positive");
        if (totalSteps <= 0 || !(warmupSteps >= 0) || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("need 0 <= warmup steps <= total steps and total > 0");
        }
    }

    /** Warm-up as a fraction of the total, rounded up as the Trainer does (the paper's text: 6 %). */
    public static LinearSchedule withWarmupRatio(double peakLr, double warmupRatio, int totalSteps) {
        return new LinearSchedule(peakLr, Math.ceil(warmupRatio * totalSteps), totalSteps);
    }

    /** The learning rate for optimiser step {@code step} (0-based). */
    public double lr(int step) {
        if (step < warmupSteps) return peakLr * step / Math.max(1.0, warmupSteps);
        return peakLr * Math.max(0.0, (totalSteps - step) / Math.max(1.0, totalSteps - warmupSteps));
    }
}
