package org.clinlora.platform.search;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import org.clinlora.platform.failure.InvalidRequest;

/**
 * The {@code since} / {@code until} filters of a search, on an ISO-8601 timestamp the records carry
 * ({@code createdAt}): each an instant ({@code 2026-03-01T09:30:00Z}) or a day ({@code 2026-03-01}, UTC, as a browser's
 * date field sends it). {@code since} is inclusive; {@code until} a day includes that whole day, an instant is
 * exclusive. Either may be absent (open-ended); anything else, or since after until, is a 400 naming the parameter.
 */
public record TimeRange(Instant since, Instant until) {
    public static final TimeRange ALL = new TimeRange(null, null);

    public static TimeRange parse(String since, String until) {
        Instant from = instant("since", since, false);
        Instant to = instant("until", until, true);
        if (from != null && to != null && !from.isBefore(to)) throw new InvalidRequest("since must be before until");
        return new TimeRange(from, to);
    }

    /** Whether a record's timestamp falls in the range; a record without a readable one is outside any bound. */
    public boolean contains(String timestamp) {
        if (since == null && until == null) return true;
        Instant t;
        try {
            t = timestamp == null ? null : Instant.parse(timestamp);
        } catch (DateTimeParseException e) {
            t = null;
        }
        if (t == null) return false;
        return (since == null || !t.isBefore(since)) && (until == null || t.isBefore(until));
    }

    private static Instant instant(String name, String value, boolean endOfDay) {
        if (value == null || value.isBlank()) return null;
        String v = value.strip();
        try {
            if (v.length() == 10) {
                LocalDate day = LocalDate.parse(v);
                return (endOfDay ? day.plusDays(1) : day)
                        .atStartOfDay(ZoneOffset.UTC)
                        .toInstant();
            }
            return Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw new InvalidRequest(
                    name + " must be a day (2026-03-01) or an ISO-8601 instant (2026-03-01T09:30:00Z)");
        }
    }
}
