package org.clinlora.platform.failure;

/** The service or one it depends on cannot serve a valid request now: try again later. */
public final class Unavailable extends Failure {
    public Unavailable(String reason, String message) {
        super(reason, message);
    }
}
