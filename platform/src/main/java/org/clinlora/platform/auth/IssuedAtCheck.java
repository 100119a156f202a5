package org.clinlora.platform.auth;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Refuses a bearer token issued in the future (its {@code iat} later than now plus the allowed clock skew): SmallRye
 * JWT checks expiry and token age against {@code iat} but takes a future {@code iat} as it comes, which would let a
 * token minted with a wrong clock outlive {@code mp.jwt.verify.token.age}. The answer is the usual 401.
 */
@ApplicationScoped
public class IssuedAtCheck implements SecurityIdentityAugmentor {
    private final long skewSeconds;

    public IssuedAtCheck(@ConfigProperty(name = "mp.jwt.verify.clock.skew", defaultValue = "60") long skewSeconds) {
        this.skewSeconds = skewSeconds;
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        if (identity.getPrincipal() instanceof JsonWebToken jwt
                && jwt.getIssuedAtTime() > System.currentTimeMillis() / 1000 + skewSeconds) {
            return Uni.createFrom().failure(new AuthenticationFailedException("token issued in the future"));
        }
        return Uni.createFrom().item(identity);
    }
}
