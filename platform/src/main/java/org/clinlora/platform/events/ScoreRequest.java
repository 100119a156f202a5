package org.clinlora.platform.events;

import java.time.Instant;
import java.util.UUID;

/**
 * One note to score, from a pipeline (topic scores.requests). {@code requestId} is the identity: a redelivered record
 * yields no second result. {@code task} is {@code name[@version|@alias]} (default alias production). The note is PHI.
 */
public record ScoreRequest(
        String type, String eventId, String occurredAt, int schemaVersion, String requestId, String task, String note)
        implements Event {
    public static ScoreRequest of(String requestId, String task, String note) {
        return new ScoreRequest(
                "ScoreRequest", UUID.randomUUID().toString(), Instant.now().toString(), 1, requestId, task, note);
    }

    @Override
    public String toString() {
        return "ScoreRequest[requestId=" + requestId + ", task=" + task + "]";
    }
}
