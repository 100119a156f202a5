package org.clinlora.trainer;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.calls.PeerTraceFilter;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TracedSpans;
import org.junit.jupiter.api.Test;

/**
 * One trace from a job submission to the registry call its admission makes: the in-process trainer (its spans kept in
 * memory) resolves the job's parent adapter at a real registry-svc process (tracing on, exporting nowhere). The
 * submission names its trace in {@code traceparent}; the trainer's server span, its client span for the parent's
 * resolution and the registry's server span share it. The registry's span is seen through its answer's
 * {@code traceresponse} header, which the trainer's REST client records as a {@code clinlora.peer} event on the
 * submission's span (platform's PeerTraceFilter). The parent does not exist, so admission ends there (404, nothing is
 * trained) — after the call this test is about.
 */
@QuarkusTest
@TestProfile(TraceAcrossServicesTest.Traced.class)
class TraceAcrossServicesTest {
    static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    static final AttributeKey<String> PEER_TRACE = AttributeKey.stringKey(PeerTraceFilter.PEER_TRACE_ID);
    static final AttributeKey<String> PEER_SPAN = AttributeKey.stringKey(PeerTraceFilter.PEER_SPAN_ID);
    static final AttributeKey<String> URL = AttributeKey.stringKey("url.full");

    /** Tracing on in the trainer and in the registry it starts; both export over OTLP to a closed port. */
    public static class Traced implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return TracedSpans.inProcess();
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(LocalServices.class, TracedSpans.registryProcess()));
        }

        /** The traced registry only, not also the module's untraced one. */
        @Override
        public boolean disableGlobalTestResources() {
            return true;
        }
    }

    @Inject
    InMemorySpanExporter spans;

    @Test
    void admittingAJobWithAParentIsOneTraceWithTheRegistryCallItMakes() throws Exception {
        // What admission reads before the parent: the base's config (no weights) and a built dataset's manifest.
        ObjectStore store = new ObjectStore(LocalInfra.s3Settings());
        Path dir = Files.createDirectories(Files.createTempDirectory("trace").resolve("m"));
        Files.writeString(
                dir.resolve("config.json"),
                "{\"model_type\":\"llama\",\"vocab_size\":700,\"hidden_size\":32,\"intermediate_size\":96,"
                        + "\"num_hidden_layers\":1,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
                        + "\"rms_norm_eps\":1e-6,\"max_position_embeddings\":256,\"tie_word_embeddings\":false}");
        new ModelStore(store).upload("trace-base-" + RUN, dir);
        store.put(StoreLayout.dataset("trace-notes-" + RUN) + DatasetBuilder.MANIFEST, "{}".getBytes(), Map.of());

        String traceId = UUID.randomUUID().toString().replace("-", "");
        String callerSpan = traceId.substring(16);
        spans.reset();
        String problemTrace = given().header("Authorization", "Bearer " + TestAuth.token(Roles.TRAINER))
                .header("traceparent", "00-" + traceId + "-" + callerSpan + "-01")
                .contentType("application/json")
                .body(Map.of(
                        "jobId", "trace-" + RUN,
                        "kind", "downstream",
                        "baseModel", "trace-base-" + RUN,
                        "datasets", Map.of("train", "trace-notes-" + RUN),
                        "parent", "no-such-parent-" + RUN + "@production",
                        "outputName", "trace-out-" + RUN,
                        "task", "los"))
                .post("/v1/jobs")
                .then()
                .statusCode(404)
                .extract()
                .path("traceId");
        assertEquals(traceId, problemTrace, "the refusal names the submission's trace");

        SpanData submit = await(traceId, s -> s.getKind() == SpanKind.SERVER);
        SpanData call = await(
                traceId,
                s -> s.getKind() == SpanKind.CLIENT
                        && s.getAttributes().get(URL).contains("/v1/adapters/no-such-parent-" + RUN + "/resolve/"));
        assertEquals(callerSpan, submit.getParentSpanId(), "the submission joined the caller's trace");
        assertEquals(submit.getSpanId(), call.getParentSpanId(), "the registry call is a child of the submission");
        EventData answer = submit.getEvents().stream()
                .filter(e -> e.getName().equals(PeerTraceFilter.EVENT))
                .filter(e ->
                        call.getAttributes().get(URL).equals(e.getAttributes().get(URL)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no traceresponse recorded: " + submit.getEvents()));
        assertEquals(traceId, answer.getAttributes().get(PEER_TRACE), "registry-svc's span is in the same trace");
        String registrySpan = answer.getAttributes().get(PEER_SPAN);
        assertNotEquals(submit.getSpanId(), registrySpan, "registry-svc answered from its own span");
        assertNotEquals(call.getSpanId(), registrySpan);
    }

    SpanData await(String traceId, Predicate<SpanData> which) throws InterruptedException {
        return TracedSpans.await(spans, traceId, which);
    }
}
