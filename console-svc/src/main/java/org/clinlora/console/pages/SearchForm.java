package org.clinlora.console.pages;

import static org.clinlora.console.backend.ServiceCalls.encode;

import jakarta.ws.rs.core.MultivaluedMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A list page's search as its URL carries it ({@code /jobs?q=los&status=failed&offset=50}): the parameters the page
 * knows, passed on as they are to the service that searches (trainer-svc {@code GET /v1/jobs}, registry-svc {@code GET
 * /v1/versions}), which checks them — a bad one is the service's 400, shown as the error page. The same values fill the
 * form again and make the pager's links, so a search is a URL to share.
 */
final class SearchForm {
    private final Map<String, List<String>> values;
    /** offset and limit as sent: the service, not the page, says whether they are numbers in range. */
    private final String rawOffset, rawLimit;

    private final int offset;
    private final int limit;

    private SearchForm(Map<String, List<String>> values, String rawOffset, String rawLimit, int defaultLimit) {
        this.values = values;
        this.rawOffset = rawOffset == null || rawOffset.isBlank() ? null : rawOffset.strip();
        this.rawLimit = rawLimit == null || rawLimit.isBlank() ? null : rawLimit.strip();
        this.offset = number(this.rawOffset, 0);
        this.limit = number(this.rawLimit, defaultLimit);
    }

    /** The known, non-blank parameters of a request; {@code offset} and {@code limit} are read for the pager. */
    static SearchForm of(MultivaluedMap<String, String> query, List<String> known, int defaultLimit) {
        Map<String, List<String>> v = new LinkedHashMap<>();
        for (String name : known) {
            List<String> given = query.get(name);
            if (given == null) continue;
            List<String> kept =
                    given.stream().filter(x -> x != null && !x.isBlank()).toList();
            if (!kept.isEmpty()) v.put(name, kept);
        }
        return new SearchForm(v, query.getFirst("offset"), query.getFirst("limit"), defaultLimit);
    }

    /** The query string for the service (with offset and limit as given), starting with '?'. */
    String serviceQuery() {
        List<String> out = filters();
        if (rawOffset != null) out.add("offset=" + encode(rawOffset));
        out.add("limit=" + (rawLimit != null ? encode(rawLimit) : limit));
        return "?" + String.join("&", out);
    }

    /** The query string for the service at another window: the same filters and order, starting with '?'. */
    String serviceQuery(int atOffset, int atLimit) {
        List<String> out = filters();
        out.add("offset=" + atOffset);
        out.add("limit=" + atLimit);
        return "?" + String.join("&", out);
    }

    /** The first value of a parameter, or "" (what the form's field shows). */
    String value(String name) {
        List<String> v = values.get(name);
        return v == null ? "" : v.get(0);
    }

    /** Whether a repeatable parameter (a status) holds a value: its checkbox is ticked. */
    boolean has(String name, String value) {
        List<String> v = values.get(name);
        return v != null && v.contains(value);
    }

    /** Whether any filter is set (the page says how many matched, of what). */
    boolean filtered() {
        return values.keySet().stream().anyMatch(k -> !k.equals("sort") && !k.equals("order"));
    }

    /** This page's URL at another offset, or null for none (before the first page). */
    String at(String path, Integer newOffset) {
        if (newOffset == null || newOffset < 0) return null;
        return path + "?" + String.join("&", pairs(newOffset, limit));
    }

    int offset() {
        return offset;
    }

    int limit() {
        return limit;
    }

    /** The values for the template: {@code form.q}, {@code form.status} … */
    Map<String, Object> fields() {
        Map<String, Object> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, v.size() == 1 ? v.get(0) : v));
        return out;
    }

    private List<String> pairs(int atOffset, int atLimit) {
        List<String> out = filters();
        if (atOffset > 0) out.add("offset=" + atOffset);
        out.add("limit=" + atLimit);
        return out;
    }

    private List<String> filters() {
        List<String> out = new ArrayList<>();
        values.forEach((k, vs) -> vs.forEach(v -> out.add(encode(k) + "=" + encode(v))));
        return out;
    }

    /** A number from the URL; anything else is left for the service to refuse (0 or the default here). */
    private static int number(String s, int absent) {
        try {
            return s == null || s.isBlank() ? absent : Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return absent;
        }
    }
}
