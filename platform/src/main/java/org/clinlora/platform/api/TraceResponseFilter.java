package org.clinlora.platform.api;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.ext.Provider;

/**
 * Every answer of every service names the server span that produced it in a W3C Trace Context Level 2
 * {@code traceresponse} header ({@code 00-<trace-id>-<span-id>-<flags>}): a caller — another service, a gateway, a
 * script — can tell that its {@code traceparent} was joined (same trace id) and find the request's own span, without
 * access to the tracing backend. No header when tracing is off (no recorded span).
 */
@Provider
public class TraceResponseFilter implements ContainerResponseFilter {
    /** The response header's name (W3C Trace Context Level 2). */
    public static final String HEADER = "traceresponse";

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        SpanContext span = Span.current().getSpanContext();
        if (span.isValid()) response.getHeaders().putSingle(HEADER, of(span));
    }

    /** The header value for {@code span}. */
    public static String of(SpanContext span) {
        return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-"
                + span.getTraceFlags().asHex();
    }
}
