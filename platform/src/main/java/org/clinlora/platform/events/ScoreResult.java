package org.clinlora.platform.events;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** The outcome probabilities for a ScoreRequest (topic scores.results, keyed by request id), or why there are none. */
public record ScoreResult(String type, String eventId, String occurredAt, int schemaVersion,
                          String requestId, String task, String adapter, Map<String, Double> probabilities,
                          Integer tokens, Boolean truncated, String error) implements Event {
    public static ScoreResult of(String requestId, String task, String adapter, Map<String, Double> probabilities, int tokens, boolean truncated) {
        return new ScoreResult("ScoreResult", UUID.randomUUID().toString(), Instant.now().toString(), 1,
                requestId, task, adapter, probabilities, tokens, truncated, null);
    }

    public static ScoreResult failed(String requestId, String task, String error) {
        return new ScoreResult("ScoreResult", UUID.randomUUID().toString(), Instant.now().toString(), 1,
                requestId, task, null, null, null, null, error);
    }
}
