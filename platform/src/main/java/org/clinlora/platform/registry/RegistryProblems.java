package org.clinlora.platform.registry;

import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import org.clinlora.platform.registry.RegistryClient.RegistryException;
import org.eclipse.microprofile.rest.client.ext.ResponseExceptionMapper;

/**
 * The REST client's reading of the registry's error answers: every 4xx/5xx becomes the
 * {@link RegistryClient.RegistryException} the callers already handle (and {@link RegistryFailures} turns into their
 * own failures) — its status, its problem's detail, an integrity failure when the problem's reason says so, and its
 * Retry-After, which {@code calls/RetryPolicy} honours.
 *
 * <p>{@code @Blocking}: reading the body blocks when the call streams its answer (a version's file); Quarkus REST
 * Client then runs this mapper on a worker thread instead of the event loop.
 */
@Blocking
public final class RegistryProblems implements ResponseExceptionMapper<RegistryException> {
    @Override
    public RegistryException toThrowable(Response response) {
        String body = response.hasEntity() ? response.readEntity(String.class) : "";
        return RegistryException.of(response.getStatus(), body, response.getHeaderString("Retry-After"));
    }

    @Override
    public boolean handles(int status, MultivaluedMap<String, Object> headers) {
        return status >= 400;
    }
}
