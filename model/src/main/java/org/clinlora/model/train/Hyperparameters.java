package org.clinlora.model.train;

import java.util.List;

/**
 * LoRA and optimiser settings of one training run; {@code maxSteps} caps the optimizer steps the epochs would give. The
 * paper's values are in {@link PaperDefaults}.
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
        boolean headOnly) {
    public Hyperparameters {
        if (batchSize < 1 || gradientAccumulation < 1 || epochs < 1)
            throw new IllegalArgumentException("batch size, accumulation and epochs must be >= 1");
        if (!(learningRate > 0) || learningRate > 1)
            throw new IllegalArgumentException("learning rate must be in (0, 1]");
        if (!(warmupRatio >= 0 && warmupRatio < 1))
            throw new IllegalArgumentException("warmup ratio must be in [0, 1)");
        if (maxSteps != null && maxSteps < 1) throw new IllegalArgumentException("maxSteps must be >= 1");
        targetModules = List.copyOf(targetModules);
    }
}
