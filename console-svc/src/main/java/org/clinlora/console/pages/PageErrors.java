package org.clinlora.console.pages;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.clinlora.console.backend.UpstreamAnswer;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Sessions and the services' own refusals on pages: no session (or a refused token) goes to the login page, a refusal
 * from a service is an error page with the service's status and reason ({@link ErrorPage}). Ahead of the platform's
 * mappers (a higher priority); the platform's failure kinds are {@link FailurePages}. Under {@code /api/} each is a
 * problem ({@code application/problem+json}).
 */
public class PageErrors {
    private final ErrorPage page;

    public PageErrors(ErrorPage page) {
        this.page = page;
    }

    @ServerExceptionMapper(priority = Priorities.USER - 100)
    public Response unauthorized(UnauthorizedException e, UriInfo uri, HttpHeaders headers) {
        return page.signIn(uri, headers);
    }

    @ServerExceptionMapper(priority = Priorities.USER - 100)
    public Response authenticationFailed(AuthenticationFailedException e, UriInfo uri, HttpHeaders headers) {
        return page.signIn(uri, headers);
    }

    @ServerExceptionMapper(priority = Priorities.USER - 100)
    public Response forbidden(ForbiddenException e, UriInfo uri, HttpHeaders headers) {
        return page.show(403, "forbidden", "Your token's roles do not allow this.", uri, headers);
    }

    @ServerExceptionMapper(priority = Priorities.USER - 100)
    public Response refused(UpstreamAnswer e, UriInfo uri, HttpHeaders headers) {
        if (e.sessionRefused()) return page.signIn(uri, headers); // the session's token expired since sign-in
        return page.show(e.status(), e.reason(), e.getMessage(), uri, headers);
    }
}
