package org.clinlora.platform.failure;

/**
 * Well-formed but unusable: an adapter that does not fit its base model, an unknown base model, a label the task does
 * not have, a setting the base cannot train with.
 */
public final class Unprocessable extends Failure {
    public Unprocessable(String reason, String message) {
        super(reason, message);
    }
}
