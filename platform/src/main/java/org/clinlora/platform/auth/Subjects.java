package org.clinlora.platform.auth;

import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Who a verified bearer token speaks for: its {@code sub}, or its principal name ({@code upn},
 * {@code preferred_username}) for a token without one. SmallRye JWT refuses a token with neither. The one rule for the
 * audit fields the registry records and the per-subject rate limits.
 */
public final class Subjects {
    private Subjects() {}

    public static String of(JsonWebToken jwt) {
        String sub = jwt.getSubject();
        return sub == null || sub.isBlank() ? jwt.getName() : sub;
    }
}
