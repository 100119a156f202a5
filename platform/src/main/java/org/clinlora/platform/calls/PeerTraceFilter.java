package org.clinlora.platform.calls;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import jakarta.ws.rs.client.ClientRequestContext;
import jakarta.ws.rs.client.ClientResponseContext;
import jakarta.ws.rs.client.ClientResponseFilter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * On the REST clients it is registered on (every client in the services: {@code registry/RestRegistryApi}, the
 * console's {@code ServiceCalls}), each answer's {@code traceresponse} header (see {@code api/TraceResponseFilter})
 * becomes an event {@value #EVENT} on the caller's current span — the server span of the request that made the call —
 * with the called service's trace id ({@value #PEER_TRACE_ID}), the id of the server span that answered
 * ({@value #PEER_SPAN_ID}) and the URL called. The trace then names the called service's span even when that service
 * exports its spans elsewhere, and a service that did not join the caller's trace (another trace id) shows at once.
 *
 * <p>Why the caller's span and not the client span: by the time response filters run, quarkus-opentelemetry has ended
 * the client span (it ends with the HTTP exchange), and an ended span takes no more attributes.
 */
public class PeerTraceFilter implements ClientResponseFilter {
    /** The event's name. */
    public static final String EVENT = "clinlora.peer";
    /** The event attribute holding the answering service's trace id. */
    public static final String PEER_TRACE_ID = "clinlora.peer.trace_id";
    /** The event attribute holding the answering service's server span id. */
    public static final String PEER_SPAN_ID = "clinlora.peer.span_id";

    private static final Pattern TRACERESPONSE =
            Pattern.compile("[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");

    @Override
    public void filter(ClientRequestContext request, ClientResponseContext response) {
        String header = response.getHeaderString("traceresponse");
        if (header == null) return;
        Matcher m = TRACERESPONSE.matcher(header.trim());
        Span caller = Span.current();
        if (!m.matches() || !caller.isRecording()) return;
        caller.addEvent(
                EVENT,
                Attributes.builder()
                        .put(PEER_TRACE_ID, m.group(1))
                        .put(PEER_SPAN_ID, m.group(2))
                        .put("url.full", request.getUri().toString())
                        .build());
    }
}
