package org.clinlora.platform.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The RFC 9457 body every service answers its errors with, and how the clients here read it. */
class ProblemTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

    @Test
    void aProblemHasTheRfcMembersTheReasonAndTheTraceIdAndNothingElse() throws Exception {
        JsonNode n = JSON.readTree(
                Problem.of(422, "wrong_base_model", "adapter x was trained on another base", "/v1/score", TRACE)
                        .toJson());
        assertEquals(
                "https://clinlora.org/problems/wrong_base_model", n.path("type").asText());
        assertEquals("Unprocessable Content", n.path("title").asText());
        assertEquals(422, n.path("status").asInt());
        assertEquals("adapter x was trained on another base", n.path("detail").asText());
        assertEquals("/v1/score", n.path("instance").asText());
        assertEquals("wrong_base_model", n.path("reason").asText());
        assertEquals(TRACE, n.path("traceId").asText());
        assertFalse(n.has("error"), "error is for V2 clients only: " + n);
        assertEquals(7, n.size(), n.toString());
    }

    @Test
    void withoutAFinerReasonTheReasonIsTheStatusCodeAndTheDetailAtLeastTheTitle() {
        Problem p = Problem.of(404, null, null, "/v1/jobs/x", TRACE);
        assertEquals("not_found", p.reason());
        assertEquals(Problem.TYPE_BASE + "not_found", p.type());
        assertEquals("Not Found", p.detail());
        assertEquals("too_many_requests", Problem.of(429, "", "m", "/", TRACE).reason());
        assertEquals("unavailable", Problem.codeFor(503));
        assertEquals("internal_error", Problem.codeFor(507));
    }

    @Test
    void requestsUnderV2AlsoGetTheErrorMemberKServeClientsRead() throws Exception {
        JsonNode n = JSON.readTree(
                Problem.of(400, "invalid_request", "input 'note' has datatype BYTES", "/v2/models/los/infer", TRACE)
                        .toJson());
        assertEquals("input 'note' has datatype BYTES", n.path("error").asText());
        assertEquals("input 'note' has datatype BYTES", n.path("detail").asText());
        assertNull(Problem.of(400, null, "m", "/v2x/models", TRACE).error(), "only the /v2/ tree");
    }

    @Test
    void theTraceIdIsTheCurrentSpansAndOtherwiseTheCallersTraceOrRequestId() {
        SpanContext ctx =
                SpanContext.create(TRACE, "00f067aa0ba902b7", TraceFlags.getSampled(), TraceState.getDefault());
        try (Scope ignored = Span.wrap(ctx).makeCurrent()) {
            assertEquals(TRACE, TraceIds.current(name -> null));
        }
        String other = "0af7651916cd43dd8448eb211c80319c";
        Map<String, String> parent = Map.of("traceparent", "00-" + other + "-b7ad6b7169203331-01");
        assertEquals(other, TraceIds.current(parent::get));
        assertEquals("req-42", TraceIds.current(Map.of(TraceIds.REQUEST_ID, "req-42")::get));
        String fresh = TraceIds.current(Map.of(TraceIds.REQUEST_ID, "a note, not an id")::get);
        assertTrue(fresh.matches("[0-9a-f]{32}"), "a request id that is not an id is never echoed: " + fresh);
        assertTrue(TraceIds.current(name -> null).matches("[0-9a-f]{32}"));
    }

    @Test
    void clientsReadProblemsAndForOneReleaseTheShapeBeforeThem() {
        Problem p = Problem.read(Problem.of(409, "alias_moved", "production moved to 3", "/v1/a", TRACE)
                .toJson());
        assertEquals(409, p.status());
        assertEquals("alias_moved", p.reason());
        assertEquals("production moved to 3", p.message());
        assertEquals(TRACE, p.traceId());

        Problem old =
                Problem.read(404, "{\"error\":\"not_found\",\"reason\":\"unknown_adapter\",\"message\":\"no such\"}");
        assertEquals(404, old.status());
        assertEquals("unknown_adapter", old.reason());
        assertEquals("no such", old.message());
        assertNull(old.error(), "the old shape's error is a code, not a V2 message");
        Problem oldWithoutReason = Problem.read(401, "{\"error\":\"unauthorized\",\"message\":\"sign in\"}");
        assertEquals("unauthorized", oldWithoutReason.reason());

        Problem v2 = Problem.read(400, "{\"error\":\"bad input\"}");
        assertEquals("bad input", v2.message());
        assertEquals("invalid_request", v2.reason());

        assertEquals("Bad Gateway", Problem.read(502, "").message());
        assertEquals(
                "<html>proxy</html>", Problem.read(502, "<html>proxy</html>").message());
        assertEquals(300, Problem.read(500, "x".repeat(1000)).message().length());
        assertEquals("", Problem.read("").message());
    }
}
