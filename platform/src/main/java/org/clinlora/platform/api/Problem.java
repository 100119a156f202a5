package org.clinlora.platform.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * The body of every 4xx/5xx answer of every service: an RFC 9457 problem, served as {@value #MEDIA_TYPE}.
 *
 * <p>{@code type} names the case ({@value #TYPE_BASE}{@code <reason>}), {@code title} is the status's reason phrase,
 * {@code detail} a sentence for people, {@code instance} the request's path (never its query string). Two extension
 * members: {@code reason}, the project's code for the case that clients switch on ({@code wrong_base_model},
 * {@code queue_full}; the status's own code when there is no finer one), and {@code traceId}, the request's W3C trace
 * id (or its request id when no span was recorded) for finding it in logs and traces. Requests under {@code /v2/} (the
 * KServe V2 / Open Inference protocol) also get {@code error} holding the detail, the member V2 clients read. Never an
 * echo of a request body: notes are PHI.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(
        String type,
        String title,
        int status,
        String detail,
        String instance,
        String reason,
        String traceId,
        String error) {

    /** RFC 9457's media type. */
    public static final String MEDIA_TYPE = "application/problem+json";

    /** The {@code type} of a problem is this followed by its reason. */
    public static final String TYPE_BASE = "https://clinlora.org/problems/";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The problem of one request: {@code reason} null or blank means the status's own code; {@code path} is the
     * request's path (a {@code /v2/} path adds the {@code error} member).
     */
    public static Problem of(int status, String reason, String detail, String path, String traceId) {
        String r = reason == null || reason.isBlank() ? codeFor(status) : reason;
        String d = detail == null || detail.isBlank() ? title(status) : detail;
        boolean v2 = path != null && (path.equals("/v2") || path.startsWith("/v2/"));
        return new Problem(TYPE_BASE + r, title(status), status, d, path, r, traceId, v2 ? d : null);
    }

    /** The reason of a status that has no finer one: one code per status. */
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

    /** The status's reason phrase (RFC 9110), the problem's {@code title}; null for a status that is not an error. */
    public static String title(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 406 -> "Not Acceptable";
            case 409 -> "Conflict";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 415 -> "Unsupported Media Type";
            case 422 -> "Unprocessable Content";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : null;
        };
    }

    /** The text for people: the detail, else the title, else nothing. */
    public String message() {
        return detail != null ? detail : title != null ? title : "";
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a problem that cannot be written as JSON", e);
        }
    }

    /** A problem body as a client receives it, when the HTTP status is in the body (see {@link #read(int, String)}). */
    public static Problem read(String body) {
        return read(0, body);
    }

    /**
     * What a service's error answer says, for the clients in this repository. Reads a problem; also, for one release,
     * the shape before it ({@code {"error": code, "reason", "message"}}) and a KServe V2 server's {@code {"error":
     * message}}; a body that is not JSON becomes the detail (cut to 300 characters). {@code httpStatus} fills in what
     * the body does not say (0 when unknown).
     */
    public static Problem read(int httpStatus, String body) {
        JsonNode n = tree(body);
        if (n == null) {
            String text = body == null || body.isBlank() ? null : body.length() > 300 ? body.substring(0, 300) : body;
            return of(httpStatus, null, text, null, null);
        }
        int status = n.path("status").canConvertToInt() && n.path("status").asInt() > 0
                ? n.path("status").asInt()
                : httpStatus;
        boolean old = !n.has("detail") && n.has("message");
        String reason = text(n, "reason");
        if (reason == null && old) reason = text(n, "error"); // the old shape's code
        String detail = text(n, "detail");
        if (detail == null) detail = old ? text(n, "message") : text(n, "error"); // old shape, or V2's message
        String r = reason == null ? codeFor(status) : reason;
        return new Problem(
                text(n, "type") == null ? TYPE_BASE + r : text(n, "type"),
                text(n, "title") == null ? title(status) : text(n, "title"),
                status,
                detail,
                text(n, "instance"),
                r,
                text(n, "traceId"),
                old ? null : text(n, "error"));
    }

    private static JsonNode tree(String body) {
        if (body == null || body.isBlank()) return null;
        try {
            JsonNode n = JSON.readTree(body);
            return n != null && n.isObject() ? n : null;
        } catch (IOException e) {
            return null; // not JSON: a proxy's page, a plain-text refusal
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || !v.isValueNode() || v.isNull() || v.asText().isBlank() ? null : v.asText();
    }
}
