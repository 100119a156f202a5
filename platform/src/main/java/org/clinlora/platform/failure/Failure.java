package org.clinlora.platform.failure;

/**
 * Why a service could not do what it was asked — thrown by domain code (registry versions, dataset builds, training
 * jobs, scoring) without knowing how it reaches the caller. The REST edge gives each kind its HTTP status
 * ({@code platform/api/FailureMappers}); a Kafka consumer records it on the result or the dead-letter topic.
 *
 * <p>{@link #reason()} says which case of the kind this is ({@code wrong_base_model}, {@code queue_full}, …) and is
 * what clients switch on; the message is a sentence for people and never quotes a request body (notes are PHI).
 */
public abstract sealed class Failure extends RuntimeException
        permits InvalidRequest,
                NotFound,
                Conflict,
                TooLarge,
                Unprocessable,
                Busy,
                Unavailable,
                UpstreamFailure,
                IntegrityFailure,
                InternalFailure {
    private final String reason;

    protected Failure(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    protected Failure(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Which case of this kind it is; clients switch on it. */
    public String reason() {
        return reason;
    }
}
