package org.clinlora.platform.failure;

/**
 * The request disagrees with the state it would change: a name taken, an alias that moved, a delete refused, an adapter
 * trained on another base model than the one served.
 */
public final class Conflict extends Failure {
    public Conflict(String message) {
        super("conflict", message);
    }

    public Conflict(String reason, String message) {
        super(reason, message);
    }
}
