package org.clinlora.console.pages;

import io.quarkus.qute.Template;
import jakarta.inject.Singleton;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import org.clinlora.platform.api.ApiError;

/**
 * How a failure reaches the user: an error page with the failure's status and reason, or the login page when the
 * session is missing or no longer accepted. The console's JSON endpoints under {@code /api/} answer the platform's
 * {@link ApiError} JSON instead, as every service does.
 */
@Singleton
class ErrorPage {
    private final Template error;

    ErrorPage(Template error) {
        this.error = error;
    }

    private static boolean api(UriInfo uri) {
        return uri.getPath().startsWith("/api/");
    }

    /** No session, or one a service refused: the login page says so (JSON: 401). */
    Response signIn(UriInfo uri) {
        if (api(uri)) {
            return Response.status(401)
                    .type(MediaType.APPLICATION_JSON)
                    .entity(ApiError.of(401, "unauthorized", "sign in again"))
                    .build();
        }
        return Response.seeOther(URI.create("/login?reason=expired")).build();
    }

    Response show(int status, String reason, String message, UriInfo uri) {
        if (api(uri))
            return Response.status(status)
                    .type(MediaType.APPLICATION_JSON)
                    .entity(ApiError.of(status, reason, message))
                    .build();
        return Response.status(status)
                .type(MediaType.TEXT_HTML)
                .entity(error.data("status", status)
                        .data("code", reason)
                        .data("message", message)
                        .data("user", null)
                        .render())
                .build();
    }
}
