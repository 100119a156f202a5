package org.clinlora.trainer.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;
import org.clinlora.platform.jobs.JobSpec;

/**
 * A training job as stored under {@code training-jobs/{id}/job.json}: the completed spec and the status ({@code queued
 * → running → succeeded | failed | cancelled}); the last progress; at the end the published adapter
 * ({@code name@version}), its parent and the metrics — or, for a full fine-tuning job, the base model it published
 * ({@code model}) — or the reason it failed. {@code requestedBy} is the subject of the bearer token that submitted the
 * job (absent for a job that came over Kafka, where no token travels with the request).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingJob(
        String jobId,
        String status,
        String reason,
        JobSpec spec,
        Progress progress,
        Integer checkpointStep,
        String adapter,
        String parent,
        Map<String, Double> metrics,
        String createdAt,
        String updatedAt,
        String model,
        String requestedBy) {
    public static final String QUEUED = "queued",
            RUNNING = "running",
            SUCCEEDED = "succeeded",
            FAILED = "failed",
            CANCELLED = "cancelled";

    public record Progress(
            int step,
            int totalSteps,
            double epoch,
            double loss,
            double learningRate,
            double tokensPerSecond,
            double etaSeconds) {}

    static TrainingJob queued(JobSpec spec, String requestedBy) {
        String now = Instant.now().toString();
        return new TrainingJob(
                spec.jobId(), QUEUED, null, spec, null, null, null, null, null, now, now, null, requestedBy);
    }

    public boolean finished() {
        return SUCCEEDED.equals(status) || FAILED.equals(status) || CANCELLED.equals(status);
    }

    TrainingJob with(String newStatus, String newReason) {
        return new TrainingJob(
                jobId,
                newStatus,
                newReason,
                spec,
                progress,
                checkpointStep,
                adapter,
                parent,
                metrics,
                createdAt,
                Instant.now().toString(),
                model,
                requestedBy);
    }

    TrainingJob withProgress(Progress p) {
        return new TrainingJob(
                jobId,
                status,
                reason,
                spec,
                p,
                checkpointStep,
                adapter,
                parent,
                metrics,
                createdAt,
                Instant.now().toString(),
                model,
                requestedBy);
    }

    TrainingJob withCheckpoint(int step) {
        return new TrainingJob(
                jobId,
                status,
                reason,
                spec,
                progress,
                step,
                adapter,
                parent,
                metrics,
                createdAt,
                Instant.now().toString(),
                model,
                requestedBy);
    }

    TrainingJob succeeded(String adapterRef, String parentRef, String modelId, Map<String, Double> m) {
        return new TrainingJob(
                jobId,
                SUCCEEDED,
                null,
                spec,
                progress,
                checkpointStep,
                adapterRef,
                parentRef,
                m,
                createdAt,
                Instant.now().toString(),
                modelId,
                requestedBy);
    }
}
