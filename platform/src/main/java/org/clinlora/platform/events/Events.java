package org.clinlora.platform.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;

/** JSON for the event records: one mapper, and parsing by the {@code type} field. */
public final class Events {
    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Map<String, Class<? extends Event>> TYPES = Map.ofEntries(
            Map.entry("AdapterPublished", AdapterPublished.class),
            Map.entry("AliasMoved", AliasMoved.class),
            Map.entry("AdapterDeleted", AdapterDeleted.class),
            Map.entry("DatasetReady", DatasetReady.class),
            Map.entry("ClinicalNote", ClinicalNote.class),
            Map.entry("TrainingRequest", TrainingRequest.class),
            Map.entry("TrainingProgress", TrainingProgress.class),
            Map.entry("TrainingCompleted", TrainingCompleted.class),
            Map.entry("TrainingFailed", TrainingFailed.class),
            Map.entry("ScoreRequest", ScoreRequest.class),
            Map.entry("ScoreResult", ScoreResult.class));

    private Events() {}

    public static String toJson(Event e) {
        try {
            return JSON.writeValueAsString(e);
        } catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** Parses any known event; an unknown type or malformed JSON is an IllegalArgumentException naming why. */
    public static Event parse(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            String type = n == null ? null : n.path("type").asText(null);
            Class<? extends Event> c = type == null ? null : TYPES.get(type);
            // Echo the type only when it looks like one: a record's fields may hold note text (PHI).
            if (c == null)
                throw new IllegalArgumentException(
                        type == null
                                ? "the record has no event type"
                                : type.matches("[A-Za-z]{1,40}")
                                        ? "unknown event type: " + type
                                        : "unknown event type");
            return JSON.treeToValue(n, c);
        } catch (JsonProcessingException e) {
            // Jackson's message quotes the offending token, which may be note text (PHI): give the place only.
            var at = e.getLocation();
            throw new IllegalArgumentException("malformed event JSON"
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()) + " ("
                    + e.getClass().getSimpleName() + ")");
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "malformed event JSON (" + e.getClass().getSimpleName() + ")");
        }
    }
}
