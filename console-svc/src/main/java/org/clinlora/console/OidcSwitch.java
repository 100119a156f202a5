package org.clinlora.console;

import io.smallrye.config.common.AbstractConfigSource;
import java.util.Map;
import java.util.Set;

/**
 * Switches the console's OpenID Connect tenant on exactly when {@code CLINLORA_OIDC_ISSUER} names a provider, so one
 * variable turns sign-in through the provider on and local use (the pasted-token page alone) needs nothing. A config
 * source rather than a property because a property cannot say "true when another one is set". Its ordinal is above
 * application.properties and below the environment: {@code QUARKUS_OIDC_TENANT_ENABLED} still wins.
 */
public class OidcSwitch extends AbstractConfigSource {
    static final String ISSUER = "CLINLORA_OIDC_ISSUER";
    static final String TENANT_ENABLED = "quarkus.oidc.tenant-enabled";

    public OidcSwitch() {
        super(OidcSwitch.class.getSimpleName(), 275);
    }

    /** Whether the environment names a provider. */
    public static boolean issuerConfigured() {
        String issuer = System.getenv(ISSUER);
        return issuer != null && !issuer.isBlank();
    }

    @Override
    public Map<String, String> getProperties() {
        return Map.of(TENANT_ENABLED, Boolean.toString(issuerConfigured()));
    }

    @Override
    public Set<String> getPropertyNames() {
        return Set.of(TENANT_ENABLED);
    }

    @Override
    public String getValue(String propertyName) {
        return TENANT_ENABLED.equals(propertyName) ? Boolean.toString(issuerConfigured()) : null;
    }
}
