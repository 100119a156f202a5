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
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import java.io.CharConversionException;
import java.io.IOException;
import java.util.logging.Logger;
import org.clinlora.platform.store.ObjectStore;

/**
 * JAX-RS mappers shared by every service (indexed through {@code quarkus.index-dependency.clinlora-platform}) for what
 * is not a domain {@code Failure} ({@link FailureMappers} answers those): a body that is not the JSON an endpoint
 * takes, authentication and roles, an unreachable object store, the framework's own refusals (unknown path, method,
 * media type), and anything unforeseen. Every one becomes a {@link Problem}, never a stack trace, and never echoes a
 * request body (notes are PHI).
 */
public final class FrameworkErrorMappers {
    private static final Logger LOG = Logger.getLogger(FrameworkErrorMappers.class.getName());

    private FrameworkErrorMappers() {}

    @Provider
    public static final class BadArgument extends ProblemMapper<IllegalArgumentException> {
        @Override
        public Response toResponse(IllegalArgumentException e) {
            return problem(400, "invalid_request", e.getMessage());
        }
    }

    @Provider
    public static final class StoreUnavailable extends ProblemMapper<ObjectStore.StoreException> {
        @Override
        public Response toResponse(ObjectStore.StoreException e) {
            LOG.severe("object store failure: " + e.getMessage());
            return problem(503, "store_unavailable", "the object store is unavailable; retry later");
        }
    }

    /** A body that is not JSON, or JSON of the wrong shape; the detail never quotes the body (it may hold notes). */
    static String badJson(JsonProcessingException e) {
        String where = e instanceof JsonMappingException m && !m.getPath().isEmpty()
                ? " at field '" + m.getPath().get(m.getPath().size() - 1).getFieldName() + "'"
                : "";
        return "the request body is not valid JSON for this endpoint" + where;
    }

    // One mapper per Jackson type: Quarkus registers its own for the specific subclasses, and the most specific wins.
    @Provider
    public static final class JsonProcessing extends ProblemMapper<JsonProcessingException> {
        @Override
        public Response toResponse(JsonProcessingException e) {
            return problem(400, "invalid_request", badJson(e));
        }
    }

    @Provider
    public static final class JsonParse extends ProblemMapper<JsonParseException> {
        @Override
        public Response toResponse(JsonParseException e) {
            return problem(400, "invalid_request", badJson(e));
        }
    }

    @Provider
    public static final class MismatchedInput extends ProblemMapper<MismatchedInputException> {
        @Override
        public Response toResponse(MismatchedInputException e) {
            return problem(400, "invalid_request", badJson(e));
        }
    }

    // Quarkus's own mapper for this one answers 500 and logs Jackson's message, which quotes the offending value
    // (a note sent where numbers belong would land in the log): a shape error of the body is the client's, 400.
    @Provider
    public static final class InvalidDefinition extends ProblemMapper<InvalidDefinitionException> {
        @Override
        public Response toResponse(InvalidDefinitionException e) {
            return problem(400, "invalid_request", badJson(e));
        }
    }

    @Provider
    public static final class InvalidFormat extends ProblemMapper<InvalidFormatException> {
        @Override
        public Response toResponse(InvalidFormatException e) {
            return problem(400, "invalid_request", badJson(e));
        }
    }

    /** The framework's own refusals: no such path (404), method (405), media type (406, 415), body too large (413). */
    @Provider
    public static final class Web extends ProblemMapper<WebApplicationException> {
        @Override
        public Response toResponse(WebApplicationException e) {
            int status = e.getResponse().getStatus();
            if (status >= 500) return problem(status, null, "internal error");
            // A 4xx without a code of its own (an unusual one a resource threw) is the request's fault.
            String reason = Problem.codeFor(status).equals("client_error") ? "invalid_request" : null;
            return problem(status, reason, e.getMessage());
        }
    }

    // Authentication and roles. Both answers are deliberately plain: which check failed (signature, issuer, audience,
    // expiry) is logged at debug level for operators, never told to the caller. A 401 carries WWW-Authenticate.

    @Provider
    public static final class Unauthorized extends ProblemMapper<UnauthorizedException> {
        @Override
        public Response toResponse(UnauthorizedException e) {
            return problem(401, "unauthorized", "a valid bearer token is required");
        }
    }

    @Provider
    public static final class AuthenticationFailed extends ProblemMapper<AuthenticationFailedException> {
        @Override
        public Response toResponse(AuthenticationFailedException e) {
            return problem(401, "unauthorized", "a valid bearer token is required");
        }
    }

    @Provider
    public static final class Forbidden extends ProblemMapper<ForbiddenException> {
        @Override
        public Response toResponse(ForbiddenException e) {
            return problem(403, "forbidden", "this token's roles do not allow this call");
        }
    }

    /**
     * Anything unforeseen: 500 with the trace id as the reference, never a stack trace or an exception message in the
     * body (a message can quote input, and input may be a note). The log gets the type and the frames, not the message.
     * Errors too (a native library that failed to load): otherwise Quarkus's own handler answers them in another shape.
     */
    @Provider
    public static final class Unexpected extends ProblemMapper<Throwable> {
        @Override
        public Response toResponse(Throwable e) {
            // RESTEasy Reactive reports a body it cannot parse as form data (a broken multipart boundary, a body that
            // is not multipart at all) as a plain IOException from its form-body handler: the client's fault.
            if (e instanceof IOException && whileReadingTheForm(e)) {
                return problem(400, "invalid_request", "the body is not well-formed multipart/form-data");
            }
            // A JSON body whose leading zero bytes make Jackson read it as UTF-32 and fail: its CharConversionException
            // is a plain IOException, not a JsonProcessingException, but the body is just as much the client's fault.
            if (e instanceof CharConversionException && whileReadingTheBody(e)) {
                return problem(400, "invalid_request", "the request body is not valid JSON for this endpoint");
            }
            String trace = traceId();
            StringBuilder frames = new StringBuilder();
            StackTraceElement[] st = e.getStackTrace();
            for (int i = 0; i < Math.min(8, st.length); i++)
                frames.append("\n\tat ").append(st[i]);
            LOG.severe("internal error, trace " + trace + ": " + e.getClass().getName() + frames);
            return problem(500, "internal_error", "internal error (reference " + trace + ")", trace);
        }

        private static boolean whileReadingTheBody(Throwable e) {
            for (StackTraceElement f : e.getStackTrace()) {
                if (f.getClassName()
                        .startsWith("org.jboss.resteasy.reactive.server.handlers.RequestDeserializeHandler"))
                    return true;
            }
            return false;
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
