package org.clinlora.platform.events;

import java.time.Instant;
import java.util.UUID;

/** A job ended without a published adapter ({@code cancelled} when a user stopped it). */
public record TrainingFailed(
        String type,
        String eventId,
        String occurredAt,
        int schemaVersion,
        String jobId,
        String reason,
        boolean cancelled)
        implements Event {
    public static TrainingFailed of(String jobId, String reason, boolean cancelled) {
        return new TrainingFailed(
                "TrainingFailed", UUID.randomUUID().toString(), Instant.now().toString(), 1, jobId, reason, cancelled);
    }
}
