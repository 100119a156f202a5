package org.clinlora.platform.calls;

import java.time.Duration;
import java.util.Optional;

/**
 * Another service's error answer as its caller sees it: the HTTP status and the {@code Retry-After} it sent, the two
 * things {@link RetryPolicy} decides on. The exceptions a client throws for an error answer implement it.
 */
public interface Refusal {
    /** The HTTP status the service answered. */
    int status();

    /** How long the service asked its callers to wait ({@code Retry-After}), if it said. */
    Optional<Duration> retryAfter();
}
