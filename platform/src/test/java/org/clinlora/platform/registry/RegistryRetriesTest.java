package org.clinlora.platform.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.clinlora.platform.calls.RetryPolicy;
import org.clinlora.platform.registry.RegistryClient.RegistryException;
import org.clinlora.testing.ScriptedService;
import org.clinlora.testing.ScriptedService.Answer;
import org.junit.jupiter.api.Test;

/**
 * How the command line's registry client ({@link JdkRegistryApi}) retries, per {@link RetryPolicy}: a service's
 * Retry-After is waited for (never less), one too long is not waited for, a refusal is final, and a write is sent again
 * only when the registry refused it before doing anything. The services' REST client follows the same policy
 * (trainer-svc's RestRegistryRetriesTest).
 */
class RegistryRetriesTest {
    static final String VERSIONS = "GET /v1/adapters/los/versions";
    static final String PUBLISH = "POST /v1/adapters/los/versions/from-store";

    static RegistryClient client(ScriptedService registry) {
        return new RegistryClient(registry.url(), () -> "t", Duration.ofMillis(50), 3);
    }

    @Test
    void aBusyRegistryIsAskedAgainAfterTheRetryAfterItGave() throws IOException {
        try (var registry =
                new ScriptedService().on(VERSIONS, Answer.problem(503, Map.of("Retry-After", "1")), Answer.ok("[]"))) {
            long start = System.nanoTime();
            assertEquals(0, client(registry).versions("los").size());
            assertTrue(System.nanoTime() - start >= 1_000_000_000L, "waited the Retry-After, not the 50 ms backoff");
            assertEquals(2, registry.requests(VERSIONS));
        }
    }

    @Test
    void aRetryAfterLongerThanTheLongestWaitFailsAtOnceAndIsPassedOn() {
        try (var registry = new ScriptedService().on(VERSIONS, Answer.problem(429, Map.of("Retry-After", "30")))) {
            long start = System.nanoTime();
            RegistryException e =
                    assertThrows(RegistryException.class, () -> client(registry).versions("los"));
            assertTrue(System.nanoTime() - start < 5_000_000_000L);
            assertEquals(429, e.status());
            assertEquals(Optional.of(Duration.ofSeconds(30)), e.retryAfter());
            assertEquals(1, registry.requests(VERSIONS));
        }
    }

    @Test
    void refusalsAreFinalAndAGatewayErrorRepeatsOnlyReads() throws IOException {
        try (var registry = new ScriptedService()
                .on("GET /v1/adapters/los/resolve/9", Answer.problem(404, Map.of()))
                .on("GET /v1/adapters/los/resolve/1", Answer.problem(500, Map.of()))
                .on(PUBLISH, Answer.problem(502, Map.of()))
                .on(VERSIONS, Answer.problem(502, Map.of()), Answer.ok("[]"))) {
            RegistryClient client = client(registry);
            assertEquals(
                    404,
                    assertThrows(RegistryException.class, () -> client.resolve("los", "9"))
                            .status());
            assertEquals(
                    500,
                    assertThrows(RegistryException.class, () -> client.resolve("los", "1"))
                            .status());
            assertEquals(1, registry.requests("GET /v1/adapters/los/resolve/9"));
            assertEquals(1, registry.requests("GET /v1/adapters/los/resolve/1"));
            // A 502 may come from a gateway after the registry published: a publish is not sent again.
            assertThrows(
                    RegistryException.class,
                    () -> client.publishFromStore("los", "staging/", PublishRequest.of("los", "base")));
            assertEquals(1, registry.requests(PUBLISH));
            assertEquals(0, client.versions("los").size());
            assertEquals(2, registry.requests(VERSIONS));
        }
    }

    @Test
    void theWaitsDoubleWithoutRetryAfterAndRetryAfterReadsBothForms() {
        RetryPolicy p = new RetryPolicy(5, Duration.ofMillis(500), Duration.ofSeconds(10));
        IOException broken = new IOException("reset");
        assertEquals(Duration.ofMillis(500), p.delay(1, broken));
        assertEquals(Duration.ofSeconds(4), p.delay(4, broken));
        assertEquals(RetryPolicy.MAX_BACKOFF, p.delay(10, broken));
        assertTrue(p.retryable(broken, true));
        assertTrue(!p.retryable(broken, false), "a write whose connection broke may have been done");
        assertEquals(Optional.of(Duration.ofSeconds(7)), RetryPolicy.retryAfter(" 7 "));
        assertTrue(RetryPolicy.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT")
                .orElseThrow()
                .isZero());
        assertEquals(Optional.empty(), RetryPolicy.retryAfter("soon"));
    }
}
