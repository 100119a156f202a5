package org.clinlora.console;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.calls.PeerTraceFilter;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TracedSpans;
import org.junit.jupiter.api.Test;

/**
 * One trace from a page to the service behind it: the in-process console (its spans kept in memory) renders the
 * registry page from a real registry-svc process (tracing on, exporting nowhere). The console's server span, its client
 * span for the registry call and the registry's own server span share the trace id the browser's {@code traceparent}
 * named. The registry's span is seen through its answer's {@code traceresponse} header, which the console's REST client
 * records as a {@code clinlora.peer} event on the page's span (platform's PeerTraceFilter): the test cannot read the
 * registry's exporter, and that header is what the registry itself says about the span that served the call.
 */
@QuarkusTest
@TestProfile(TraceAcrossServicesTest.Traced.class)
class TraceAcrossServicesTest {
    static final AttributeKey<String> PEER_TRACE = AttributeKey.stringKey(PeerTraceFilter.PEER_TRACE_ID);
    static final AttributeKey<String> PEER_SPAN = AttributeKey.stringKey(PeerTraceFilter.PEER_SPAN_ID);
    static final AttributeKey<String> URL = AttributeKey.stringKey("url.full");

    /** Tracing on in the console and in the registry it starts; both export over OTLP to a closed port. */
    public static class Traced implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return TracedSpans.inProcess();
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(LocalServices.class, TracedSpans.registryProcess()));
        }
    }

    @Inject
    InMemorySpanExporter spans;

    @Test
    void aPageAndTheRegistryCallBehindItAreOneTrace() throws InterruptedException {
        String traceId = UUID.randomUUID().toString().replace("-", "");
        String browserSpan = traceId.substring(0, 16);
        spans.reset();
        given().header("Cookie", "clinlora_token=" + TestAuth.token(Roles.REGISTRY_ADMIN))
                .header("traceparent", "00-" + traceId + "-" + browserSpan + "-01")
                .get("/registry")
                .then()
                .statusCode(200);

        SpanData page = await(traceId, s -> s.getKind() == SpanKind.SERVER);
        List<SpanData> calls = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getKind() == SpanKind.CLIENT)
                .toList();
        List<EventData> answers = page.getEvents().stream()
                .filter(e -> e.getName().equals(PeerTraceFilter.EVENT))
                .toList();
        assertEquals(browserSpan, page.getParentSpanId(), "the page joined the browser's trace");
        assertFalse(calls.isEmpty(), "the page called registry-svc");
        String list = calls.stream()
                .map(c -> c.getAttributes().get(URL))
                .filter(u -> u.endsWith("/v1/adapters?limit=1000"))
                .findFirst()
                .orElseThrow();
        // A span keeps at most 128 events (the SDK's limit): the first calls' answers, the adapter list's among them.
        assertTrue(answers.stream().anyMatch(e -> list.equals(e.getAttributes().get(URL))), answers.toString());
        for (SpanData call : calls) {
            // The adapter list, then each adapter's versions and aliases, several at once on other threads.
            assertEquals(traceId, call.getTraceId(), call.getAttributes().toString());
            assertEquals(page.getSpanId(), call.getParentSpanId(), "a registry call is a child of the page's span");
        }
        for (EventData answer : answers) {
            assertEquals(traceId, answer.getAttributes().get(PEER_TRACE), "registry-svc's span is in the same trace");
            String registrySpan = answer.getAttributes().get(PEER_SPAN);
            assertNotEquals(page.getSpanId(), registrySpan, "registry-svc answered from its own span");
            assertTrue(calls.stream().noneMatch(c -> c.getSpanId().equals(registrySpan)));
        }
    }

    SpanData await(String traceId, Predicate<SpanData> which) throws InterruptedException {
        return TracedSpans.await(spans, traceId, which);
    }
}
