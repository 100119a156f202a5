package org.clinlora.platform.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.io.IOException;
import java.util.UUID;
import java.util.logging.Logger;
import org.clinlora.platform.store.ObjectStore;

/**
 * JAX-RS mappers shared by every service (indexed through {@code quarkus.index-dependency.clinlora-platform}) for what
 * is not a domain {@code Failure} ({@link FailureMappers} answers those): a body that is not the JSON an endpoint
 * takes, authentication and roles, an unreachable object store, the framework's own refusals, and anything unforeseen.
 * Every one becomes {@link ApiError} JSON, never a stack trace, and never echoes a request body (notes are PHI).
 */
public final class FrameworkErrorMappers {
    private static final Logger LOG = Logger.getLogger(FrameworkErrorMappers.class.getName());

    private FrameworkErrorMappers() {}

    static Response json(int status, String code, String message) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON)
                .entity(ApiError.of(status, code, message))
                .build();
    }

    @Provider
    public static final class BadArgument implements ExceptionMapper<IllegalArgumentException> {
        @Override
        public Response toResponse(IllegalArgumentException e) {
            return json(400, "invalid_request", e.getMessage());
        }
    }

    @Provider
    public static final class StoreUnavailable implements ExceptionMapper<ObjectStore.StoreException> {
        @Override
        public Response toResponse(ObjectStore.StoreException e) {
            LOG.severe("object store failure: " + e.getMessage());
            return Response.fromResponse(json(503, "store_unavailable", "the object store is unavailable; retry later"))
                    .header("Retry-After", "5")
                    .build();
        }
    }

    /** A body that is not JSON, or JSON of the wrong shape; the message never quotes the body (it may hold notes). */
    static Response badJson(JsonProcessingException e) {
        String where = e instanceof JsonMappingException m && !m.getPath().isEmpty()
                ? " at field '" + m.getPath().get(m.getPath().size() - 1).getFieldName() + "'"
                : "";
        return json(400, "invalid_request", "the request body is not valid JSON for this endpoint" + where);
    }

    // One mapper per Jackson type: Quarkus registers its own for the specific subclasses, and the most specific wins.
    @Provider
    public static final class JsonProcessing implements ExceptionMapper<JsonProcessingException> {
        @Override
        public Response toResponse(JsonProcessingException e) {
            return badJson(e);
        }
    }

    @Provider
    public static final class JsonParse implements ExceptionMapper<JsonParseException> {
        @Override
        public Response toResponse(JsonParseException e) {
            return badJson(e);
        }
    }

    @Provider
    public static final class MismatchedInput implements ExceptionMapper<MismatchedInputException> {
        @Override
        public Response toResponse(MismatchedInputException e) {
            return badJson(e);
        }
    }

    // Quarkus's own mapper for this one answers 500 and logs Jackson's message, which quotes the offending value
    // (a note sent where numbers belong would land in the log): a shape error of the body is the client's, 400.
    @Provider
    public static final class InvalidDefinition implements ExceptionMapper<InvalidDefinitionException> {
        @Override
        public Response toResponse(InvalidDefinitionException e) {
            return badJson(e);
        }
    }

    @Provider
    public static final class InvalidFormat implements ExceptionMapper<InvalidFormatException> {
        @Override
        public Response toResponse(InvalidFormatException e) {
            return badJson(e);
        }
    }

    @Provider
    public static final class Web implements ExceptionMapper<WebApplicationException> {
        @Override
        public Response toResponse(WebApplicationException e) {
            int status = e.getResponse().getStatus();
            String code =
                    switch (status) {
                        case 404 -> "not_found";
                        case 405 -> "method_not_allowed";
                        case 406 -> "not_acceptable";
                        case 413 -> "payload_too_large";
                        case 415 -> "unsupported_media_type";
                        default -> status >= 500 ? "internal_error" : "invalid_request";
                    };
            return json(status, code, status >= 500 ? "internal error" : e.getMessage());
        }
    }

    // Authentication and roles. Both answers are deliberately plain: which check failed (signature, issuer, audience,
    // expiry) is logged at debug level for operators, never told to the caller.

    static Response unauthorized() {
        return Response.fromResponse(json(401, "unauthorized", "a valid bearer token is required"))
                .header("WWW-Authenticate", "Bearer realm=\"clinlora\"")
                .build();
    }

    @Provider
    public static final class Unauthorized implements ExceptionMapper<UnauthorizedException> {
        @Override
        public Response toResponse(UnauthorizedException e) {
            return unauthorized();
        }
    }

    @Provider
    public static final class AuthenticationFailed implements ExceptionMapper<AuthenticationFailedException> {
        @Override
        public Response toResponse(AuthenticationFailedException e) {
            return unauthorized();
        }
    }

    @Provider
    public static final class Forbidden implements ExceptionMapper<ForbiddenException> {
        @Override
        public Response toResponse(ForbiddenException e) {
            return json(403, "forbidden", "this token's roles do not allow this call");
        }
    }

    /**
     * Anything unforeseen: 500 with a reference, never a stack trace or an exception message in the body (a message can
     * quote input, and input may be a note). The log gets the type and the frames, not the message.
     */
    @Provider
    public static final class Unexpected implements ExceptionMapper<Exception> {
        @Override
        public Response toResponse(Exception e) {
            // RESTEasy Reactive reports a body it cannot parse as form data (a broken multipart boundary, a body that
            // is not multipart at all) as a plain IOException from its form-body handler: the client's fault.
            if (e instanceof IOException && whileReadingTheForm(e)) {
                return json(400, "invalid_request", "the body is not well-formed multipart/form-data");
            }
            String ref = UUID.randomUUID().toString().substring(0, 8);
            StringBuilder frames = new StringBuilder();
            StackTraceElement[] st = e.getStackTrace();
            for (int i = 0; i < Math.min(8, st.length); i++)
                frames.append("\n\tat ").append(st[i]);
            LOG.severe("internal error " + ref + ": " + e.getClass().getName() + frames);
            return json(500, "internal_error", "internal error (reference " + ref + ")");
        }

        private static boolean whileReadingTheForm(Throwable e) {
            for (StackTraceElement f : e.getStackTrace()) {
                if (f.getClassName().startsWith("org.jboss.resteasy.reactive.server.handlers.FormBodyHandler")
                        || f.getClassName().startsWith("org.jboss.resteasy.reactive.server.core.multipart."))
                    return true;
            }
            return false;
        }
    }
}
