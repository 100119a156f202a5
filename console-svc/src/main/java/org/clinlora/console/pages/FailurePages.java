package org.clinlora.console.pages;

import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.clinlora.platform.api.FailureMappers;
import org.clinlora.platform.failure.Failure;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The platform's failure kinds in the console: the kind's status ({@link FailureMappers#status}, the platform's one
 * table) and the failure's reason, as an error page for a browser and as a problem for an API call. One mapper for the
 * sealed type, ahead of the platform's own for it (a higher priority).
 */
public class FailurePages {
    private final ErrorPage page;

    public FailurePages(ErrorPage page) {
        this.page = page;
    }

    @ServerExceptionMapper(priority = Priorities.USER - 100)
    public Response failure(Failure f, UriInfo uri, HttpHeaders headers) {
        return page.show(FailureMappers.status(f), f.reason(), f.getMessage(), uri, headers);
    }
}
