package org.clinlora.platform.events;

import java.time.Instant;
import java.util.UUID;

/**
 * One optimizer step of a training job (topic training.events, keyed by job id). {@code gradNorm} (the global gradient
 * norm before clipping) and {@code lossScale} (1 in fp32) came with schema 1's later producers; readers treat them as
 * optional.
 */
public record TrainingProgress(
        String type,
        String eventId,
        String occurredAt,
        int schemaVersion,
        String jobId,
        int step,
        int totalSteps,
        double epoch,
        double loss,
        double learningRate,
        double tokensPerSecond,
        double etaSeconds,
        Double gradNorm,
        Double lossScale)
        implements Event {
    public static TrainingProgress of(
            String jobId,
            int step,
            int totalSteps,
            double epoch,
            double loss,
            double learningRate,
            double tokensPerSecond,
            double etaSeconds,
            double gradNorm,
            double lossScale) {
        return new TrainingProgress(
                "TrainingProgress",
                UUID.randomUUID().toString(),
                Instant.now().toString(),
                1,
                jobId,
                step,
                totalSteps,
                epoch,
                loss,
                learningRate,
                tokensPerSecond,
                etaSeconds,
                Double.isFinite(gradNorm) ? gradNorm : null,
                lossScale);
    }
}
