package org.clinlora.platform.registry;

import java.io.IOException;
import org.clinlora.platform.failure.Failure;
import org.clinlora.platform.failure.IntegrityFailure;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.failure.UpstreamFailure;

/**
 * What a failed call to registry-svc means to the service that made it — one mapping for the trainer and the scorer:
 * the registry's 404 stays "not found", naming what was asked for; an unreachable registry, or one that says it cannot
 * serve now (429: it is overloaded; 502, 503, 504: its object store is down), is "unavailable, try later"; its other
 * errors are an upstream failure. The registry's own words come from its problem body ({@code RegistryClient} reads it
 * with {@code Problem.read}).
 */
public final class RegistryFailures {
    private RegistryFailures() {}

    /** {@code what}: the reference the caller asked for, as it should appear in the message. */
    public static Failure of(Exception e, String what) {
        return of(e, "adapter", what);
    }

    /** {@code role}: what the reference is to the caller ("adapter", "parent adapter"), for the not-found message. */
    public static Failure of(Exception e, String role, String what) {
        if (e instanceof RegistryClient.RegistryException re) {
            if (re.status() == 404) return new NotFound("unknown " + role + " '" + what + "': " + re.getMessage());
            if (re.integrityFailure()) {
                return new IntegrityFailure(
                        "adapter " + what + " failed verification; it is not used: " + re.getMessage());
            }
            if (re.status() == 429 || re.status() == 502 || re.status() == 503 || re.status() == 504) {
                return new Unavailable(
                        "registry_unavailable",
                        "registry-svc cannot serve '" + what + "' now (" + re.status() + "); retry later");
            }
            return new UpstreamFailure(
                    "registry_error", "registry-svc could not serve '" + what + "' (" + re.status() + ")");
        }
        if (e instanceof IOException)
            return new Unavailable("registry_unavailable", "registry-svc is unreachable; retry later");
        if (e instanceof Failure f) return f;
        return new UpstreamFailure("registry_error", "registry-svc could not serve '" + what + "'");
    }
}
