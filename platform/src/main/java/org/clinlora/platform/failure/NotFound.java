package org.clinlora.platform.failure;

/** What the request names does not exist: an adapter, a version, a job, a dataset, a model. */
public final class NotFound extends Failure {
    public NotFound(String message) {
        super("not_found", message);
    }
}
