package org.clinlora.platform.failure;

/** A bounded queue is full: the caller should try again later. */
public final class Busy extends Failure {
    public Busy(String message) {
        super("queue_full", message);
    }
}
