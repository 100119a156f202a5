package org.clinlora.console.pages;

import io.quarkus.oidc.AccessTokenCredential;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.RequestScoped;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Who the page is for, however they signed in: with a pasted token (its own bearer and {@code groups}) or through the
 * OpenID Connect provider (the session's access token, whose role claim the tenant maps to roles). The services are
 * always called with the token they can verify themselves: the access token, never the ID token, which is the console's
 * own proof of sign-in and carries the console's client id as its audience.
 */
@RequestScoped
public class SignedInUser {
    private final SecurityIdentity identity;

    public SignedInUser(SecurityIdentity identity) {
        this.identity = identity;
    }

    /** The bearer token for the calls this page makes to the services. */
    public String bearer() {
        AccessTokenCredential access = identity.getCredential(AccessTokenCredential.class);
        if (access != null) return access.getToken();
        return identity.getPrincipal() instanceof JsonWebToken jwt ? jwt.getRawToken() : null;
    }

    /** The name and roles the page shows, and hides actions by. */
    PageData.User user() {
        return new PageData.User(
                identity.getPrincipal().getName(),
                identity.getRoles().stream().sorted().toList());
    }
}
