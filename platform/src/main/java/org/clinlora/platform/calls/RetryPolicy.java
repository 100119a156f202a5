package org.clinlora.platform.calls;

import java.io.IOException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * When a call to another service is sent again, and after how long: the one rule for every client in this repository
 * (the services apply it through SmallRye Fault Tolerance, {@link CallGuard}; the command line's plain registry client
 * in its own loop).
 *
 * <ul>
 *   <li>429 and 503 are sent again, whatever the method: the service refused before doing anything (a full queue, a
 *       dependency down). The wait is the answer's {@code Retry-After} when it has one — never shorter, so a service
 *       that sheds load is not hammered; one longer than {@code longestWait} is not waited for: the call fails at once
 *       and its own caller, told the same Retry-After, decides.
 *   <li>502 and 504 (a gateway's answer) and a broken or refused connection are sent again only for a call that may be
 *       repeated (a read): the request may have reached the service and been done.
 *   <li>Any other answer is final: a 4xx is the caller's mistake, a 500 is an answer too (an integrity failure, a bug)
 *       that repeating would only multiply.
 *   <li>Without Retry-After the waits double from {@code firstBackoff} (0.5, 1, 2, 4 s by default), at most
 *       {@link #MAX_BACKOFF}.
 * </ul>
 *
 * @param attempts how many times a call is sent in all (1: never again)
 */
public record RetryPolicy(int attempts, Duration firstBackoff, Duration longestWait) {
    /** The longest exponential backoff between two attempts. */
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(8);

    /** The longest Retry-After a service's call waits for by default; services answer Retry-After: 5. */
    public static final Duration DEFAULT_LONGEST_WAIT = Duration.ofSeconds(10);

    public RetryPolicy {
        if (attempts < 1) throw new IllegalArgumentException("attempts must be at least 1");
        if (firstBackoff.isNegative() || longestWait.isNegative())
            throw new IllegalArgumentException("waits cannot be negative");
    }

    /** Whether {@code failure} is worth another attempt; {@code repeatable}: the call may be done twice (a read). */
    public boolean retryable(Throwable failure, boolean repeatable) {
        if (failure instanceof Refusal r) {
            if (r.retryAfter().filter(w -> w.compareTo(longestWait) > 0).isPresent()) return false;
            int s = r.status();
            return s == 429 || s == 503 || (repeatable && (s == 502 || s == 504));
        }
        return repeatable && failure instanceof IOException;
    }

    /** The wait before retry number {@code retry} (1 for the first) after {@code failure}. */
    public Duration delay(int retry, Throwable failure) {
        if (failure instanceof Refusal r && r.retryAfter().isPresent())
            return r.retryAfter().get();
        long ms = firstBackoff.toMillis() << Math.min(Math.max(retry - 1, 0), 20);
        return Duration.ofMillis(Math.min(ms, MAX_BACKOFF.toMillis()));
    }

    /** A {@code Retry-After} header (delay seconds, or an HTTP date); empty when absent or unreadable. */
    public static Optional<Duration> retryAfter(String header) {
        if (header == null || header.isBlank()) return Optional.empty();
        String h = header.trim();
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(h))));
        } catch (NumberFormatException e) {
            try {
                Duration d = Duration.between(
                        ZonedDateTime.now(), ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME));
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException bad) {
                return Optional.empty();
            }
        }
    }
}
