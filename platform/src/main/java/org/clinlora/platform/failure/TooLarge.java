package org.clinlora.platform.failure;

/** More than this service accepts in one request: notes, bytes, rows. */
public final class TooLarge extends Failure {
    public TooLarge(String message) {
        super("payload_too_large", message);
    }
}
