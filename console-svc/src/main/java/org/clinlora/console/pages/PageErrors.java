package org.clinlora.console.pages;

import io.quarkus.qute.Template;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import org.clinlora.platform.api.ApiError;
import org.clinlora.platform.api.ApiException;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Failures on pages are pages: no session (or a refused token) goes to the login page, a refusal from a service is an
 * error page with the service's reason and the same status. The console's JSON endpoints under {@code /api/} keep the
 * platform's JSON errors. Ahead of the platform's mappers (a higher priority).
 */
public class PageErrors {
    private final Template error;

    public PageErrors(Template error) {
        this.error = error;
    }

    static boolean api(UriInfo uri) {
        return uri.getPath().startsWith("/api/");
    }

    @ServerExceptionMapper(priority = Priorities.USER - 100)
    public Response unauthorized(UnauthorizedException e, UriInfo uri) {
        return signIn(uri);
    }

    @ServerExceptionMapper(priority = Priorities.USER - 100)
    public Response authenticationFailed(AuthenticationFailedException e, UriInfo uri) {
        return signIn(uri);
    }

    @ServerExceptionMapper(priority = Priorities.USER - 100)
    public Response forbidden(ForbiddenException e, UriInfo uri) {
        return page(403, "forbidden", "Your token's roles do not allow this.", uri);
    }

    @ServerExceptionMapper(priority = Priorities.USER - 100)
    public Response refused(ApiException e, UriInfo uri) {
        if (e.status() == 401) return signIn(uri);  // a service no longer accepts the session's token (it expired meanwhile)
        return page(e.status(), e.reason(), e.getMessage(), uri);
    }

    private Response signIn(UriInfo uri) {
        if (api(uri)) {
            return Response.status(401).type(MediaType.APPLICATION_JSON).entity(ApiError.of(401, "unauthorized", "sign in again")).build();
        }
        return Response.seeOther(URI.create("/login?reason=expired")).build();
    }

    private Response page(int status, String code, String message, UriInfo uri) {
        if (api(uri)) return Response.status(status).type(MediaType.APPLICATION_JSON).entity(ApiError.of(status, code, message)).build();
        return Response.status(status).type(MediaType.TEXT_HTML)
                .entity(error.data("status", status).data("code", code).data("message", message).data("user", null).render()).build();
    }
}
