package org.clinlora.platform.api;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The id a problem's {@code traceId} carries, so that an operator can find the failed request: the W3C trace id of the
 * current OpenTelemetry span when there is one (every service has quarkus-opentelemetry; tracing is on when
 * CLINLORA_TRACING_DISABLED=false). With tracing off the span is not recorded, so: the trace id of the caller's
 * {@code traceparent} header, else the caller's {@code X-Request-Id} (a gateway's), else a fresh random id.
 */
public final class TraceIds {
    /** The request id header read when there is no trace. */
    public static final String REQUEST_ID = "X-Request-Id";

    private static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}.*");
    // Echoed into a body: only what an id looks like, never free text (a header is caller-controlled).
    private static final Pattern REQUEST_ID_VALUE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final String NO_TRACE = "0".repeat(32);
    private static final boolean OTEL = present("io.opentelemetry.api.trace.Span");

    private TraceIds() {}

    /** {@code header}: the current request's header by name (null when absent). */
    public static String current(UnaryOperator<String> header) {
        if (OTEL) {
            SpanContext span = Span.current().getSpanContext();
            if (span.isValid()) return span.getTraceId();
        }
        String parent = header.apply("traceparent");
        if (parent != null) {
            var m = TRACEPARENT.matcher(parent.trim());
            if (m.matches() && !m.group(1).equals(NO_TRACE)) return m.group(1);
        }
        String requestId = header.apply(REQUEST_ID);
        if (requestId != null && REQUEST_ID_VALUE.matcher(requestId.trim()).matches()) return requestId.trim();
        return UUID.randomUUID().toString().replace("-", "");
    }

    private static boolean present(String type) {
        try {
            Class.forName(type, false, TraceIds.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false; // a service without OpenTelemetry: ids from the headers
        }
    }
}
