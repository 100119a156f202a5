package org.clinlora.core.api;

/** A failure a service reports to its caller, with the HTTP status and the stable error code. */
public class ApiException extends RuntimeException {
    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
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
        return new ApiException(429, "busy", message);
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
