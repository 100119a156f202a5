package org.clinlora.registry.versions;

/**
 * The "who" of what the registry records (a card's {@code publishedBy}, an alias move's {@code movedBy}, a tombstone's
 * {@code deletedBy}) is the caller's authenticated subject, handed in by the REST edge. There is no default such as
 * "anonymous": a missing one is a bug in the caller, and recording a change nobody owns would hide it.
 */
final class Audit {
    private Audit() {}

    static String require(String field, String who) {
        if (who == null || who.isBlank())
            throw new IllegalArgumentException(field + " must be the caller's authenticated subject");
        return who;
    }
}
