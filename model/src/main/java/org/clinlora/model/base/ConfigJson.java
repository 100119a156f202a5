package org.clinlora.model.base;

import com.fasterxml.jackson.databind.JsonNode;

/** How every architecture's config.json fields are read and refused: one message shape, {@code config.json: <what>}. */
public final class ConfigJson {
    private ConfigJson() {}

    public static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("config.json: " + message);
    }

    /** An integer field, {@code dflt} when absent (null: the field is required). */
    public static int intField(JsonNode n, String field, Integer dflt) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            require(dflt != null, "missing " + field);
            return dflt;
        }
        require(v.isIntegralNumber() && v.canConvertToInt(), field + " must be an integer, got " + v);
        return v.asInt();
    }
}
