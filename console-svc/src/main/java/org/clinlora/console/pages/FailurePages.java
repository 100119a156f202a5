package org.clinlora.console.pages;

import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.clinlora.platform.api.FailureMappers;
import org.clinlora.platform.failure.Busy;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.failure.IntegrityFailure;
import org.clinlora.platform.failure.InternalFailure;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.TooLarge;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.failure.UpstreamFailure;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The platform's failure kinds on pages: an error page with the kind's status ({@link FailureMappers#status}, the
 * platform's one table) and the failure's reason; JSON under {@code /api/}. One mapper per kind, ahead of the
 * platform's own for the same kind (a higher priority): a mapper of the common supertype would lose to those, as the
 * most specific type wins.
 */
public class FailurePages {
    private static final int AHEAD = Priorities.USER - 100;
    private final ErrorPage page;

    public FailurePages(ErrorPage page) {
        this.page = page;
    }

    @ServerExceptionMapper(priority = AHEAD)
    public Response invalidRequest(InvalidRequest f, UriInfo uri) {
        return page.show(FailureMappers.status(f), f.reason(), f.getMessage(), uri);
    }

    @ServerExceptionMapper(priority = AHEAD)
    public Response notFound(NotFound f, UriInfo uri) {
        return page.show(FailureMappers.status(f), f.reason(), f.getMessage(), uri);
    }

    @ServerExceptionMapper(priority = AHEAD)
    public Response conflict(Conflict f, UriInfo uri) {
        return page.show(FailureMappers.status(f), f.reason(), f.getMessage(), uri);
    }

    @ServerExceptionMapper(priority = AHEAD)
    public Response tooLarge(TooLarge f, UriInfo uri) {
        return page.show(FailureMappers.status(f), f.reason(), f.getMessage(), uri);
    }

    @ServerExceptionMapper(priority = AHEAD)
    public Response unprocessable(Unprocessable f, UriInfo uri) {
        return page.show(FailureMappers.status(f), f.reason(), f.getMessage(), uri);
    }

    @ServerExceptionMapper(priority = AHEAD)
    public Response busy(Busy f, UriInfo uri) {
        return page.show(FailureMappers.status(f), f.reason(), f.getMessage(), uri);
    }

    @ServerExceptionMapper(priority = AHEAD)
    public Response unavailable(Unavailable f, UriInfo uri) {
        return page.show(FailureMappers.status(f), f.reason(), f.getMessage(), uri);
    }

    @ServerExceptionMapper(priority = AHEAD)
    public Response upstreamFailure(UpstreamFailure f, UriInfo uri) {
        return page.show(FailureMappers.status(f), f.reason(), f.getMessage(), uri);
    }

    @ServerExceptionMapper(priority = AHEAD)
    public Response integrityFailure(IntegrityFailure f, UriInfo uri) {
        return page.show(FailureMappers.status(f), f.reason(), f.getMessage(), uri);
    }

    @ServerExceptionMapper(priority = AHEAD)
    public Response internalFailure(InternalFailure f, UriInfo uri) {
        return page.show(FailureMappers.status(f), f.reason(), f.getMessage(), uri);
    }
}
