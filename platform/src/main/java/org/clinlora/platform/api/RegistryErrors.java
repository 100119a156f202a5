package org.clinlora.platform.api;

import java.io.IOException;
import org.clinlora.platform.registry.RegistryClient;

/**
 * How a service answers when a call to registry-svc fails — one mapping for the trainer and the scorer: the registry's
 * 404 stays a 404 naming what was asked for; an unreachable registry, or one that says it cannot serve now (502, 503,
 * 504: its object store is down, it is overloaded), is a 503 to retry; its other errors are a 502.
 */
public final class RegistryErrors {
    private RegistryErrors() {}

    /** {@code what}: the reference the caller asked for, as it should appear in the message. */
    public static ApiException toApi(Exception e, String what) {
        return toApi(e, "adapter", what);
    }

    /** {@code role}: what the reference is to the caller ("adapter", "parent adapter"), for the 404's message. */
    public static ApiException toApi(Exception e, String role, String what) {
        if (e instanceof RegistryClient.RegistryException re) {
            if (re.status() == 404) return ApiException.notFound("unknown " + role + " '" + what + "': " + re.getMessage());
            if (re.integrityFailure()) return ApiException.integrity("adapter " + what + " failed verification; it is not used: " + re.getMessage());
            if (re.status() == 502 || re.status() == 503 || re.status() == 504) {
                return ApiException.unavailable("registry_unavailable", "registry-svc cannot serve '" + what + "' now (" + re.status() + "); retry later");
            }
            return new ApiException(502, "registry_error", "registry-svc could not serve '" + what + "' (" + re.status() + ")");
        }
        if (e instanceof IOException) return ApiException.unavailable("registry_unavailable", "registry-svc is unreachable; retry later");
        if (e instanceof ApiException api) return api;
        return new ApiException(502, "registry_error", "registry-svc could not serve '" + what + "'");
    }
}
