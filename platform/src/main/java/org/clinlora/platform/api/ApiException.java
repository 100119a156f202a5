package org.clinlora.platform.api;

/**
 * A failure a service reports to its caller: the HTTP status (whose one error code {@link ApiError#codeFor} gives), the
 * reason within that status, and a sentence that never quotes a request body.
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final String reason;

    public ApiException(int status, String reason, String message) {
        super(message);
        this.status = status;
        this.reason = reason;
    }

    public int status() {
        return status;
    }

    /** The status's error code ({@code invalid_request}, {@code unavailable}, …). */
    public String code() {
        return ApiError.codeFor(status);
    }

    /** Which case of the status this is ({@code wrong_base_model}, …); the code itself when there is nothing finer. */
    public String reason() {
        return reason == null ? code() : reason;
    }

    /** Retry later: the service or one of its dependencies cannot serve a valid request now (503 + Retry-After). */
    public static ApiException unavailable(String reason, String message) {
        return new ApiException(503, reason, message);
    }

    public static ApiException invalid(String message) {
        return new ApiException(400, "invalid_request", message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, "not_found", message);
    }

    public static ApiException conflict(String message) {
        return new ApiException(409, "conflict", message);
    }

    public static ApiException tooLarge(String message) {
        return new ApiException(413, "payload_too_large", message);
    }

    /** A bounded queue is full: the caller should retry later (429 with Retry-After). */
    public static ApiException busy(String message) {
        return new ApiException(429, "queue_full", message);
    }

    /** Well-formed but unusable: an adapter that does not fit its base model, an unknown model, a bad label. */
    public static ApiException unprocessable(String code, String message) {
        return new ApiException(422, code, message);
    }

    /** Stored bytes no longer match the sha256 recorded for them: never served. */
    public static ApiException integrity(String message) {
        return new ApiException(500, "integrity_error", message);
    }
}
