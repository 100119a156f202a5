package org.clinlora.registry;

/** A registry failure with the HTTP status and stable error code the API reports. */
public class RegistryException extends RuntimeException {
    private final int status;
    private final String code;

    public RegistryException(int status, String code, String message) {
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

    public static RegistryException notFound(String message) {
        return new RegistryException(404, "not_found", message);
    }

    public static RegistryException conflict(String message) {
        return new RegistryException(409, "conflict", message);
    }

    public static RegistryException invalid(String message) {
        return new RegistryException(400, "invalid_request", message);
    }

    public static RegistryException unprocessable(String message) {
        return new RegistryException(422, "invalid_adapter", message);
    }

    /** Stored bytes no longer match the sha256 recorded at publication: never served. */
    public static RegistryException integrity(String message) {
        return new RegistryException(500, "integrity_error", message);
    }
}
