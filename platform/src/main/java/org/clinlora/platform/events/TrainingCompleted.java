package org.clinlora.platform.events;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A job's adapter is published: {@code adapter} is name@version, {@code parent} its parent (or null). */
public record TrainingCompleted(String type, String eventId, String occurredAt, int schemaVersion,
                                String jobId, String adapter, String parent, Map<String, Double> metrics) implements Event {
    public static TrainingCompleted of(String jobId, String adapter, String parent, Map<String, Double> metrics) {
        return new TrainingCompleted("TrainingCompleted", UUID.randomUUID().toString(), Instant.now().toString(), 1,
                jobId, adapter, parent, metrics);
    }
}
