package org.clinlora.model.train;

import java.util.List;

/**
 * LoRA and optimiser settings of one training run; {@code maxSteps} caps the optimizer steps the epochs would give. The
 * paper's values are in {@link PaperDefaults}. Warm-up is {@code warmupRatio} of the optimizer steps, rounded up,
 * unless {@code warmupSteps} is given: then exactly that many steps, fractions included, as transformers'
 * {@code get_linear_schedule_with_warmup} takes them (the paper's code passed 0.06 there, so its first step had rate 0
 * and there was no warm-up after it). {@code maxGradNorm} 0 means no clipping.
 */
public record Hyperparameters(
        int r,
        double loraAlpha,
        double loraDropout,
        List<String> targetModules,
        double learningRate,
        double warmupRatio,
        int batchSize,
        int gradientAccumulation,
        int epochs,
        Integer maxSteps,
        double weightDecay,
        double maxGradNorm,
        long seed,
        boolean headOnly,
        Double warmupSteps) {
    /** Warm-up as a ratio of the steps. */
    public Hyperparameters(
            int r,
            double loraAlpha,
            double loraDropout,
            List<String> targetModules,
            double learningRate,
            double warmupRatio,
            int batchSize,
            int gradientAccumulation,
            int epochs,
            Integer maxSteps,
            double weightDecay,
            double maxGradNorm,
            long seed,
            boolean headOnly) {
        this(
                r,
                loraAlpha,
                loraDropout,
                targetModules,
                learningRate,
                warmupRatio,
                batchSize,
                gradientAccumulation,
                epochs,
                maxSteps,
                weightDecay,
                maxGradNorm,
                seed,
                headOnly,
                null);
    }

    public Hyperparameters {
        if (batchSize < 1 || gradientAccumulation < 1 || epochs < 1)
            throw new IllegalArgumentException("batch size, accumulation and epochs must be >= 1");
        if (!(learningRate > 0) || learningRate > 1)
            throw new IllegalArgumentException("learning rate must be in (0, 1]");
        if (!(warmupRatio >= 0 && warmupRatio < 1))
            throw new IllegalArgumentException("warmup ratio must be in [0, 1)");
        if (maxSteps != null && maxSteps < 1) throw new IllegalArgumentException("maxSteps must be >= 1");
        if (warmupSteps != null && !(warmupSteps >= 0)) throw new IllegalArgumentException("warmup steps must be >= 0");
        if (weightDecay < 0 || maxGradNorm < 0)
            throw new IllegalArgumentException("weight decay and max grad norm must be >= 0");
        targetModules = List.copyOf(targetModules);
    }

    /** The warm-up in optimizer steps for a run of {@code totalSteps}. */
    public double warmupSteps(int totalSteps) {
        return warmupSteps != null ? warmupSteps : Math.ceil(warmupRatio * totalSteps);
    }
}
