package org.clinlora.platform.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * JSON for the event records: one mapper, and parsing by the {@code type} field of today's envelope. On Kafka the
 * events travel as CloudEvents ({@link CloudEvents}), with this JSON as their data.
 */
public final class Events {
    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Events() {}

    public static String toJson(Event e) {
        try {
            return JSON.writeValueAsString(e);
        } catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Parses any known event from today's envelope (its {@code type} field names the record); an unknown type or
     * malformed JSON is an IllegalArgumentException naming why.
     */
    public static Event parse(String json) {
        JsonNode n = tree(json);
        String type = n == null ? null : n.path("type").asText(null);
        EventTypes.Kind<?> kind = type == null ? null : EventTypes.byName(type);
        // Echo the type only when it looks like one: a record's fields may hold note text (PHI).
        if (kind == null)
            throw new IllegalArgumentException(
                    type == null
                            ? "the record has no event type"
                            : type.matches("[A-Za-z]{1,40}") ? "unknown event type: " + type : "unknown event type");
        return as(n, kind.record());
    }

    /** A JSON object from text; anything else is an IllegalArgumentException that quotes none of the text. */
    static ObjectNode object(String json, String what) {
        JsonNode n = tree(json);
        if (!(n instanceof ObjectNode o)) throw new IllegalArgumentException(what + " is not a JSON object");
        return o;
    }

    /** The record of class {@code c} from a JSON tree, with the same PHI-safe failures as {@link #parse}. */
    static <E extends Event> E as(JsonNode n, Class<E> c) {
        try {
            return JSON.treeToValue(n, c);
        } catch (JsonProcessingException e) {
            throw malformed(e);
        }
    }

    private static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "malformed event JSON (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static IllegalArgumentException malformed(JsonProcessingException e) {
        // Jackson's message quotes the offending token, which may be note text (PHI): give the place only.
        var at = e.getLocation();
        return new IllegalArgumentException("malformed event JSON"
                + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()) + " ("
                + e.getClass().getSimpleName() + ")");
    }
}
