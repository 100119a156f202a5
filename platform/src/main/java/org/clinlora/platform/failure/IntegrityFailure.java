package org.clinlora.platform.failure;

/** Stored bytes no longer match the sha256 recorded for them: they are never served. */
public final class IntegrityFailure extends Failure {
    public IntegrityFailure(String message) {
        super("integrity_error", message);
    }
}
