package org.clinlora.platform.search;

import java.util.List;
import org.clinlora.platform.failure.InvalidRequest;

/**
 * Which slice of a search answer a caller asked for ({@code offset}, {@code limit} query parameters), and where the
 * next slice starts ({@code nextOffset}, null on the last page) — the paging of every list endpoint, as registry-svc's
 * adapter names have always been paged. A parameter that is not a number or out of range is a 400 naming it.
 */
public record PageWindow(int offset, int limit) {

    /**
     * The header in which a list answered as a bare array (trainer-svc's jobs) says how many items matched in all; the
     * next page is in {@code Link rel="next"} (RFC 8288).
     */
    public static final String TOTAL_COUNT_HEADER = "X-Total-Count";

    /**
     * {@code offset} and {@code limit} as given (absent: 0 and {@code defaultLimit}; given, even empty, a whole
     * number), 1 <= limit <= maxLimit.
     */
    public static PageWindow parse(String offset, String limit, int defaultLimit, int maxLimit) {
        int o = number("offset", offset, 0);
        int l = number("limit", limit, defaultLimit);
        if (o < 0) throw new InvalidRequest("offset must be >= 0, got " + o);
        if (l < 1 || l > maxLimit) throw new InvalidRequest("limit must be between 1 and " + maxLimit + ", got " + l);
        return new PageWindow(o, l);
    }

    /** This window's items of the whole ordered answer. */
    public <T> List<T> slice(List<T> all) {
        int from = Math.min(offset, all.size());
        return List.copyOf(all.subList(from, Math.min(all.size(), from + limit)));
    }

    /** Where the next page starts, or null when this one reaches the end of {@code total} items. */
    public Integer next(int total) {
        return offset + limit < total ? offset + limit : null;
    }

    /** Absent is the default; a value given (even an empty one) must be a number. */
    private static int number(String name, String value, int absent) {
        if (value == null) return absent;
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new InvalidRequest(name + " must be a whole number");
        }
    }
}
