package org.clinlora.platform.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The error shape of every 4xx/5xx answer of every service. {@code error} is the one code of the HTTP status (a client
 * can switch on it); {@code reason}, when present, says which of the status's cases this is ({@code wrong_base_model},
 * {@code invalid_adapter}, …); {@code message} is a sentence for people. Never an echo of a request body.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiError(String error, String reason, String message) {

    /** One error code per HTTP status. */
    public static String codeFor(int status) {
        return switch (status) {
            case 400 -> "invalid_request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 409 -> "conflict";
            case 413 -> "payload_too_large";
            case 414 -> "uri_too_long";
            case 415 -> "unsupported_media_type";
            case 422 -> "unprocessable";
            case 429 -> "too_many_requests";
            case 502 -> "bad_gateway";
            case 503 -> "unavailable";
            case 504 -> "gateway_timeout";
            default -> status >= 500 ? "internal_error" : "client_error";
        };
    }

    /** The answer for {@code status}; {@code reason} is dropped when it only repeats the status's code. */
    public static ApiError of(int status, String reason, String message) {
        String code = codeFor(status);
        return new ApiError(code, reason == null || reason.equals(code) ? null : reason, message);
    }
}
