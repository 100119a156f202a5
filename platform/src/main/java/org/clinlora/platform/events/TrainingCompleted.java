package org.clinlora.platform.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A job's result is published: {@code adapter} is name@version and {@code parent} its parent (or null); a full
 * fine-tuning job publishes a base model instead, {@code model} its id (and no adapter).
 */
public record TrainingCompleted(
        String type,
        String eventId,
        String occurredAt,
        int schemaVersion,
        String jobId,
        String adapter,
        String parent,
        Map<String, Double> metrics,
        @JsonInclude(JsonInclude.Include.NON_NULL) String model)
        implements Event {
    public static TrainingCompleted of(String jobId, String adapter, String parent, Map<String, Double> metrics) {
        return of(jobId, adapter, parent, metrics, null);
    }

    public static TrainingCompleted of(
            String jobId, String adapter, String parent, Map<String, Double> metrics, String model) {
        return new TrainingCompleted(
                "TrainingCompleted",
                UUID.randomUUID().toString(),
                Instant.now().toString(),
                1,
                jobId,
                adapter,
                parent,
                metrics,
                model);
    }
}
