package org.clinlora.platform.failure;

/**
 * Work that should have succeeded failed inside this service (scoring, an evaluation); the message names the
 * exception's type, never its text, which may quote input.
 */
public final class InternalFailure extends Failure {
    public InternalFailure(String reason, String message) {
        super(reason, message);
    }
}
