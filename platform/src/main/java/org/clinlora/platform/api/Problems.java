package org.clinlora.platform.api;

import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.clinlora.platform.failure.Busy;
import org.clinlora.platform.failure.Failure;

/**
 * A {@link Problem} as a JAX-RS answer: the one place that sets its media type and the headers its status needs —
 * {@code Retry-After} on "try later" (429 a full queue, 503 a dependency down) and {@code WWW-Authenticate} on 401. The
 * shared mappers ({@link FailureMappers}, {@link FrameworkErrorMappers}) and the console's pages answer through it.
 */
public final class Problems {
    /** Seconds a client is told to wait before trying a full queue or an unavailable dependency again. */
    public static final String RETRY_AFTER_SECONDS = String.valueOf(Busy.DEFAULT_RETRY_AFTER_SECONDS);

    private Problems() {}

    /** The answer to a domain failure: its kind's status ({@link FailureMappers#status}), its reason and message. */
    public static Response of(Failure f, UriInfo uri, HttpHeaders headers) {
        Problem p = Problem.of(FailureMappers.status(f), f.reason(), f.getMessage(), path(uri), traceId(headers));
        // A rate limit knows when the caller's next request would pass; a full queue says the default.
        return response(p, f instanceof Busy busy ? String.valueOf(busy.retryAfterSeconds()) : RETRY_AFTER_SECONDS);
    }

    /** The problem of the current request (its path and trace id from {@code uri} and {@code headers}). */
    public static Response of(int status, String reason, String detail, UriInfo uri, HttpHeaders headers) {
        return response(Problem.of(status, reason, detail, path(uri), traceId(headers)));
    }

    public static Response response(Problem p) {
        return response(p, RETRY_AFTER_SECONDS);
    }

    /** {@code retryAfterSeconds}: what a 429 or a 503 tells the client to wait. */
    private static Response response(Problem p, String retryAfterSeconds) {
        // The body is written here, not by the service's JSON provider: the same bytes whatever the media type.
        Response.ResponseBuilder b =
                Response.status(p.status()).type(Problem.MEDIA_TYPE).entity(p.toJson());
        if (p.status() == 429 || p.status() == 503) b.header("Retry-After", retryAfterSeconds);
        if (p.status() == 401) b.header("WWW-Authenticate", "Bearer realm=\"clinlora\"");
        return b.build();
    }

    /** The request's path as it was sent (still percent-encoded), never its query string. */
    public static String path(UriInfo uri) {
        return uri == null ? null : uri.getRequestUri().getRawPath();
    }

    public static String traceId(HttpHeaders headers) {
        return TraceIds.current(name -> headers == null ? null : headers.getHeaderString(name));
    }
}
