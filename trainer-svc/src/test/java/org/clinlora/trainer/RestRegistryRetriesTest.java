package org.clinlora.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.clinlora.platform.calls.RetryPolicy;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.registry.RegistryClient.RegistryException;
import org.clinlora.platform.registry.RegistryFailures;
import org.clinlora.platform.registry.RestRegistryApi;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.ScriptedService;
import org.clinlora.testing.ScriptedService.Answer;
import org.junit.jupiter.api.Test;

/**
 * The services' registry client — Quarkus REST Client under SmallRye Fault Tolerance ({@link RestRegistryApi}) —
 * retries as the platform's RetryPolicy says, against a scripted registry: the Retry-After of a busy registry is waited
 * for, one beyond the longest wait is passed on at once, a refusal is final and reaches callers as the failure they
 * already handle, a publish is not repeated after a gateway's 502, and an unreachable registry is an IOException.
 */
@QuarkusTest
class RestRegistryRetriesTest {
    static final String VERSIONS = "GET /v1/adapters/los/versions";

    static RegistryClient client(String url) {
        return new RegistryClient(RestRegistryApi.create(
                url, () -> "t", new RetryPolicy(3, Duration.ofMillis(50), RetryPolicy.DEFAULT_LONGEST_WAIT)));
    }

    @Test
    void aBusyRegistryIsAskedAgainAfterItsRetryAfterAndALongerOneIsPassedOn() throws IOException {
        try (var registry = new ScriptedService()
                .on(VERSIONS, Answer.problem(503, Map.of("Retry-After", "1")), Answer.ok("[]"))
                .on("GET /v1/adapters/mor/versions", Answer.problem(429, Map.of("Retry-After", "30")))) {
            RegistryClient client = client(registry.url());
            long start = System.nanoTime();
            assertEquals(0, client.versions("los").size());
            assertTrue(System.nanoTime() - start >= 1_000_000_000L, "waited the Retry-After, not the 50 ms backoff");
            assertEquals(2, registry.requests(VERSIONS));

            RegistryException busy = assertThrows(RegistryException.class, () -> client.versions("mor"));
            assertEquals(429, busy.status());
            assertEquals(Optional.of(Duration.ofSeconds(30)), busy.retryAfter());
            assertEquals(1, registry.requests("GET /v1/adapters/mor/versions"));
        }
    }

    @Test
    void refusalsAreFinalWritesAreNotRepeatedAndAnUnreachableRegistryIsAnIoFailure() {
        try (var registry = new ScriptedService()
                .on("GET /v1/adapters/los/resolve/9", Answer.problem(404, Map.of()))
                .on("POST /v1/adapters/los/versions/from-store", Answer.problem(502, Map.of()))) {
            RegistryClient client = client(registry.url());
            RegistryException unknown = assertThrows(RegistryException.class, () -> client.resolve("los", "9"));
            assertEquals(404, unknown.status());
            assertTrue(unknown.getMessage().contains("scripted 404"), "the problem's detail: " + unknown.getMessage());
            assertInstanceOf(NotFound.class, RegistryFailures.of(unknown, "los@9"));
            assertEquals(1, registry.requests("GET /v1/adapters/los/resolve/9"));

            assertThrows(
                    RegistryException.class,
                    () -> client.publishFromStore("los", "staging/", PublishRequest.of("los", "base")));
            assertEquals(1, registry.requests("POST /v1/adapters/los/versions/from-store"));
        }
        String closed = "http://127.0.0.1:" + LocalServices.freePort();
        assertThrows(IOException.class, () -> client(closed).resolve("los", "1"));
    }
}
