package org.clinlora.platform.failure;

/** The request itself is wrong: a field missing or out of range, a body of the wrong shape. */
public final class InvalidRequest extends Failure {
    public InvalidRequest(String message) {
        super("invalid_request", message);
    }
}
