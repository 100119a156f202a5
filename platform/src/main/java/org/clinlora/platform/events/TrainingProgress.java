package org.clinlora.platform.events;

import java.time.Instant;
import java.util.UUID;

/** One optimizer step of a training job (topic training.events, keyed by job id). */
public record TrainingProgress(String type, String eventId, String occurredAt, int schemaVersion,
                               String jobId, int step, int totalSteps, double epoch, double loss, double learningRate,
                               double tokensPerSecond, double etaSeconds) implements Event {
    public static TrainingProgress of(String jobId, int step, int totalSteps, double epoch, double loss, double learningRate,
                                      double tokensPerSecond, double etaSeconds) {
        return new TrainingProgress("TrainingProgress", UUID.randomUUID().toString(), Instant.now().toString(), 1,
                jobId, step, totalSteps, epoch, loss, learningRate, tokensPerSecond, etaSeconds);
    }
}
