package org.clinlora.registry.versions;

import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.store.StoreLayout;

/** Adapter names, aliases and references from a request: valid, or a 400 that says why. */
public final class Names {
    private Names() {}

    public static String requireName(String name) {
        try {
            return StoreLayout.requireName(name);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest(e.getMessage());
        }
    }

    public static String requireAlias(String alias) {
        try {
            return StoreLayout.requireAlias(alias);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest(e.getMessage());
        }
    }

    /**
     * {@code name}, {@code name@version} or {@code name@alias}; the platform's one parser, with a 400 for bad input.
     */
    public static AdapterRef parseRef(String ref) {
        try {
            return AdapterRef.parse(ref);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest(e.getMessage());
        }
    }

    /** A reference given as a name and a version-or-alias path segment. */
    public static AdapterRef ref(String name, String versionOrAlias) {
        requireName(name);
        if (versionOrAlias == null || versionOrAlias.isBlank()) throw new InvalidRequest("empty version or alias");
        return parseRef(name + "@" + versionOrAlias);
    }
}
