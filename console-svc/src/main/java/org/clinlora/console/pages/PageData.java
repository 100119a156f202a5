package org.clinlora.console.pages;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;

/** What every page shows of the signed-in user, and JSON for the charts embedded in a page. */
final class PageData {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PageData() {}

    record User(String name, List<String> roles) {
        boolean has(String role) {
            return roles.contains(role);
        }
    }

    /**
     * JSON to place inside {@code <script type="application/json">}: every {@code <} escaped, so no value can close the
     * script element (values come from cards and files other people wrote).
     */
    static String scriptJson(Object value) {
        try {
            return JSON.writeValueAsString(value)
                    .replace("<", "\\u003c")
                    .replace(">", "\\u003e")
                    .replace("&", "\\u0026");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JSON tree as plain maps and lists, which templates read by key. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> map(JsonNode node) {
        return node == null || node.isMissingNode() || node.isNull() ? Map.of() : JSON.convertValue(node, Map.class);
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(JsonNode node) {
        return node == null || !node.isArray() ? List.of() : JSON.convertValue(node, List.class);
    }
}
