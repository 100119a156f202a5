package org.clinlora.platform.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jakarta.ws.rs.core.Response;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.clinlora.platform.failure.Busy;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.failure.Failure;
import org.clinlora.platform.failure.IntegrityFailure;
import org.clinlora.platform.failure.InternalFailure;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.TooLarge;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.failure.UpstreamFailure;
import org.junit.jupiter.api.Test;

/** The one table from a failure kind to the HTTP status clients have always received for it. */
class FailureMappersTest {
    static final Map<Failure, Integer> STATUSES = new LinkedHashMap<>();

    static {
        STATUSES.put(new InvalidRequest("m"), 400);
        STATUSES.put(new NotFound("m"), 404);
        STATUSES.put(new Conflict("m"), 409);
        STATUSES.put(new TooLarge("m"), 413);
        STATUSES.put(new Unprocessable("wrong_base_model", "m"), 422);
        STATUSES.put(new Busy("m"), 429);
        STATUSES.put(new Unavailable("registry_unavailable", "m"), 503);
        STATUSES.put(new UpstreamFailure("registry_error", "m"), 502);
        STATUSES.put(new IntegrityFailure("m"), 500);
        STATUSES.put(new InternalFailure("scoring_failed", "m"), 500);
    }

    @Test
    void everyKindHasTheStatusItAlwaysHad() {
        STATUSES.forEach((f, status) ->
                assertEquals(status, FailureMappers.status(f), f.getClass().getSimpleName()));
    }

    @Test
    void theTableCoversEveryKindTheSealedTypePermits() {
        Set<Class<?>> permitted =
                Arrays.stream(Failure.class.getPermittedSubclasses()).collect(Collectors.toSet());
        Set<Class<?>> tested = STATUSES.keySet().stream().map(Object::getClass).collect(Collectors.toSet());
        assertEquals(permitted, tested, "a new failure kind needs its status here and in FailureMappers");
    }

    @Test
    void aTryLaterAnswerHasOneRetryAfterTheBusyFailuresOwnOrTheDefault() {
        Map<Failure, String> retryAfter = new LinkedHashMap<>();
        retryAfter.put(new Busy("rate_limited", "m", 7), "7");
        retryAfter.put(new Busy("m"), Problems.RETRY_AFTER_SECONDS);
        retryAfter.put(new Unavailable("registry_unavailable", "m"), Problems.RETRY_AFTER_SECONDS);
        retryAfter.put(new NotFound("m"), null);
        retryAfter.forEach((f, seconds) -> {
            Response r = Problems.of(f, null, null);
            List<Object> values = r.getHeaders().getOrDefault("Retry-After", List.of());
            assertEquals(
                    seconds == null ? List.of() : List.of(seconds),
                    values,
                    f.getClass().getSimpleName());
        });
    }

    @Test
    void reasonsDefaultToTheStatusCodeClientsSwitchOn() {
        assertEquals("invalid_request", new InvalidRequest("m").reason());
        assertEquals("not_found", new NotFound("m").reason());
        assertEquals("conflict", new Conflict("m").reason());
        assertEquals("payload_too_large", new TooLarge("m").reason());
        assertEquals("queue_full", new Busy("m").reason());
        assertEquals("integrity_error", new IntegrityFailure("m").reason());
    }
}
