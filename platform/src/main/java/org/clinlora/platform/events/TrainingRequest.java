package org.clinlora.platform.events;

import java.time.Instant;
import java.util.UUID;
import org.clinlora.platform.jobs.JobSpec;

/**
 * A training job asked for on topic training.requests (MLOps pipelines). {@code spec.jobId} is the job's identity: the
 * same id delivered twice is one job.
 */
public record TrainingRequest(String type, String eventId, String occurredAt, int schemaVersion, JobSpec spec)
        implements Event {
    public static TrainingRequest of(JobSpec spec) {
        return new TrainingRequest(
                "TrainingRequest", UUID.randomUUID().toString(), Instant.now().toString(), 1, spec);
    }
}
