package org.clinlora.console.pages;

import io.quarkus.qute.Template;
import jakarta.inject.Singleton;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import org.clinlora.platform.api.Problem;
import org.clinlora.platform.api.Problems;

/**
 * How a failure reaches the user: an error page with the failure's status, reason and trace id, or the login page when
 * the session is missing or no longer accepted. A call that is not a browser's — the console's JSON endpoints under
 * {@code /api/}, or a request that accepts JSON and not HTML — gets the platform's {@link Problem} instead, as every
 * service answers (the same builder, {@link Problems}).
 */
@Singleton
class ErrorPage {
    private final Template error;

    ErrorPage(Template error) {
        this.error = error;
    }

    /** A caller that reads problems: the JSON API, or a client asking for JSON rather than a page. */
    static boolean wantsProblem(UriInfo uri, HttpHeaders headers) {
        if (uri.getPath().startsWith("/api/")) return true;
        boolean json = false;
        for (MediaType m : headers.getAcceptableMediaTypes()) {
            if (m.isWildcardType()) continue;
            if (m.getType().equals("text") && m.getSubtype().equals("html")) return false;
            if (m.getSubtype().equals("json") || m.getSubtype().endsWith("+json")) json = true;
        }
        return json;
    }

    /** No session, or one a service refused: the login page says so (a problem: 401). */
    Response signIn(UriInfo uri, HttpHeaders headers) {
        if (wantsProblem(uri, headers)) return Problems.of(401, "unauthorized", "sign in again", uri, headers);
        return Response.seeOther(URI.create("/login?reason=expired")).build();
    }

    Response show(int status, String reason, String message, UriInfo uri, HttpHeaders headers) {
        if (wantsProblem(uri, headers)) return Problems.of(status, reason, message, uri, headers);
        Problem p = Problem.of(status, reason, message, Problems.path(uri), Problems.traceId(headers));
        Response.ResponseBuilder page = Response.status(status)
                .type(MediaType.TEXT_HTML)
                .entity(error.data("status", status)
                        .data("code", p.reason())
                        .data("message", p.detail())
                        .data("trace", p.traceId())
                        .data("user", null)
                        .render());
        if (status == 429 || status == 503) page.header("Retry-After", Problems.RETRY_AFTER_SECONDS);
        return page.build();
    }
}
