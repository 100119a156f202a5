package org.clinlora.platform.calls;

import jakarta.ws.rs.client.ClientRequestContext;
import jakarta.ws.rs.client.ClientRequestFilter;
import java.util.function.Supplier;

/**
 * Sends a bearer token with every request of the REST client it is registered on: the service's own token, asked for on
 * every request so that a rotated token file is used at once.
 */
public final class BearerToken implements ClientRequestFilter {
    private final Supplier<String> token;

    public BearerToken(Supplier<String> token) {
        this.token = token;
    }

    @Override
    public void filter(ClientRequestContext request) {
        String t = token == null ? null : token.get();
        if (t != null && !t.isEmpty()) request.getHeaders().putSingle("Authorization", "Bearer " + t);
    }
}
