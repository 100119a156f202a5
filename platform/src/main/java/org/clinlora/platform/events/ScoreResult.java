package org.clinlora.platform.events;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * The outcome probabilities for a ScoreRequest (topic scores.results, keyed by request id), or why there are none. The
 * event id is derived from the request id, so a result sent again (the scorer stopped after Kafka took the result but
 * before it noted the request as answered) is the same event to a consumer that deduplicates on {@code eventId}.
 */
public record ScoreResult(
        String type,
        String eventId,
        String occurredAt,
        int schemaVersion,
        String requestId,
        String task,
        String adapter,
        Map<String, Double> probabilities,
        Integer tokens,
        Boolean truncated,
        String error)
        implements Event {
    public static ScoreResult of(
            String requestId,
            String task,
            String adapter,
            Map<String, Double> probabilities,
            int tokens,
            boolean truncated) {
        return new ScoreResult(
                "ScoreResult",
                eventIdOf(requestId),
                Instant.now().toString(),
                1,
                requestId,
                task,
                adapter,
                probabilities,
                tokens,
                truncated,
                null);
    }

    public static ScoreResult failed(String requestId, String task, String error) {
        return new ScoreResult(
                "ScoreResult",
                eventIdOf(requestId),
                Instant.now().toString(),
                1,
                requestId,
                task,
                null,
                null,
                null,
                null,
                error);
    }

    /** One event id per request id (a name-based UUID). */
    public static String eventIdOf(String requestId) {
        return UUID.nameUUIDFromBytes(("ScoreResult/" + requestId).getBytes(StandardCharsets.UTF_8))
                .toString();
    }
}
