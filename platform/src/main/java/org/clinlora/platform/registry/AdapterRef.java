package org.clinlora.platform.registry;

import org.clinlora.platform.store.StoreLayout;

/**
 * A reference to an adapter version as users write it — {@code name}, {@code name@3} or {@code name@staging} — the one
 * parser of that syntax (registry-svc, the scorer, the trainer and the CLI all use it). A bare name means its
 * {@code production} alias; all-digit selectors are versions, so no alias can look like one.
 */
public record AdapterRef(String name, Integer version, String alias) {
    public static final String DEFAULT_ALIAS = "production";

    public AdapterRef {
        StoreLayout.requireName(name);
        if ((version == null) == (alias == null))
            throw new IllegalArgumentException("an adapter reference names a version or an alias");
        if (version != null && version < 1) throw new IllegalArgumentException("versions start at 1, got " + version);
        if (alias != null) StoreLayout.requireAlias(alias);
    }

    /** Parses {@code name[@version|@alias]}; a malformed reference is an IllegalArgumentException that says why. */
    public static AdapterRef parse(String ref) {
        if (ref == null || ref.isBlank())
            throw new IllegalArgumentException("an adapter reference is name[@version|@alias]");
        int at = ref.indexOf('@');
        String name = at < 0 ? ref : ref.substring(0, at);
        String which = at < 0 ? DEFAULT_ALIAS : ref.substring(at + 1);
        if (which.matches("[0-9]{1,9}")) return new AdapterRef(name, Integer.parseInt(which), null);
        return new AdapterRef(name, null, which);
    }

    public static AdapterRef of(String name, int version) {
        return new AdapterRef(name, version, null);
    }

    public boolean isAlias() {
        return alias != null;
    }

    /** The version number or the alias, as the registry's resolve endpoint takes it. */
    public String selector() {
        return alias != null ? alias : String.valueOf(version);
    }

    @Override
    public String toString() {
        return name + "@" + selector();
    }
}
