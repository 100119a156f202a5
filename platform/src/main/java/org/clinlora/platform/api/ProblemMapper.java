package org.clinlora.platform.api;

import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;

/**
 * What the shared exception mappers have in common: they answer a {@link Problem} about the request being served, so
 * they hold its URI and headers (request-scoped proxies: Quarkus REST treats {@code @Context} as {@code @Inject}).
 */
public abstract class ProblemMapper<E extends Throwable> implements ExceptionMapper<E> {
    @Context
    UriInfo uri;

    @Context
    HttpHeaders headers;

    protected Response problem(int status, String reason, String detail) {
        return Problems.of(status, reason, detail, uri, headers);
    }

    /** The current request's trace id, for a mapper that also logs it. */
    protected String traceId() {
        return Problems.traceId(headers);
    }

    protected Response problem(int status, String reason, String detail, String traceId) {
        return Problems.response(Problem.of(status, reason, detail, Problems.path(uri), traceId));
    }
}
