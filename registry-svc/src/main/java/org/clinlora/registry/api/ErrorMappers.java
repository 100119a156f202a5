package org.clinlora.registry.api;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.clinlora.core.store.ObjectStore;
import org.clinlora.registry.RegistryException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Maps failures to {@link ApiError} JSON; never a stack trace in a body. */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    static Response json(int status, String code, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError(code, message)).build();
    }

    @ServerExceptionMapper
    public Response registry(RegistryException e) {
        return json(e.status(), e.code(), e.getMessage());
    }

    @ServerExceptionMapper
    public Response badArgument(IllegalArgumentException e) {
        return json(400, "invalid_request", e.getMessage());
    }

    @ServerExceptionMapper
    public Response store(ObjectStore.StoreException e) {
        LOG.errorf("object store failure: %s", e.getMessage());
        return Response.fromResponse(json(503, "store_unavailable", "the object store is unavailable; retry later"))
                .header("Retry-After", "5").build();
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String code = switch (status) {
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 413 -> "payload_too_large";
            case 415 -> "unsupported_media_type";
            default -> status >= 500 ? "internal_error" : "invalid_request";
        };
        return json(status, code, status >= 500 ? "internal error" : e.getMessage());
    }
}
