package org.clinlora.platform.api;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.clinlora.platform.failure.Busy;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.failure.Failure;
import org.clinlora.platform.failure.IntegrityFailure;
import org.clinlora.platform.failure.InternalFailure;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.TooLarge;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.failure.UpstreamFailure;

/**
 * The HTTP status of each kind of {@link Failure}, one mapper per kind: the only place that decides which status a
 * domain failure is. The body is {@link ApiError}; "try later" answers (429, 503) carry {@code Retry-After}.
 */
public final class FailureMappers {
    private FailureMappers() {}

    /** Seconds a client is told to wait before trying a full queue or an unavailable dependency again. */
    static final String RETRY_AFTER_SECONDS = "5";

    /** The HTTP status of a failure kind: the one table (the console's error pages read it too). */
    public static int status(Failure f) {
        if (f instanceof InvalidRequest) return 400;
        if (f instanceof NotFound) return 404;
        if (f instanceof Conflict) return 409;
        if (f instanceof TooLarge) return 413;
        if (f instanceof Unprocessable) return 422;
        if (f instanceof Busy) return 429;
        if (f instanceof Unavailable) return 503;
        if (f instanceof UpstreamFailure) return 502;
        return 500; // IntegrityFailure, InternalFailure
    }

    static Response answer(Failure f) {
        int status = status(f);
        Response r = FrameworkErrorMappers.json(status, f.reason(), f.getMessage());
        boolean later = status == 429 || status == 503;
        return later
                ? Response.fromResponse(r)
                        .header("Retry-After", RETRY_AFTER_SECONDS)
                        .build()
                : r;
    }

    @Provider
    public static final class InvalidRequestMapper implements ExceptionMapper<InvalidRequest> {
        @Override
        public Response toResponse(InvalidRequest f) {
            return answer(f);
        }
    }

    @Provider
    public static final class NotFoundMapper implements ExceptionMapper<NotFound> {
        @Override
        public Response toResponse(NotFound f) {
            return answer(f);
        }
    }

    @Provider
    public static final class ConflictMapper implements ExceptionMapper<Conflict> {
        @Override
        public Response toResponse(Conflict f) {
            return answer(f);
        }
    }

    @Provider
    public static final class TooLargeMapper implements ExceptionMapper<TooLarge> {
        @Override
        public Response toResponse(TooLarge f) {
            return answer(f);
        }
    }

    @Provider
    public static final class UnprocessableMapper implements ExceptionMapper<Unprocessable> {
        @Override
        public Response toResponse(Unprocessable f) {
            return answer(f);
        }
    }

    @Provider
    public static final class BusyMapper implements ExceptionMapper<Busy> {
        @Override
        public Response toResponse(Busy f) {
            return answer(f);
        }
    }

    @Provider
    public static final class UnavailableMapper implements ExceptionMapper<Unavailable> {
        @Override
        public Response toResponse(Unavailable f) {
            return answer(f);
        }
    }

    @Provider
    public static final class UpstreamFailureMapper implements ExceptionMapper<UpstreamFailure> {
        @Override
        public Response toResponse(UpstreamFailure f) {
            return answer(f);
        }
    }

    @Provider
    public static final class IntegrityFailureMapper implements ExceptionMapper<IntegrityFailure> {
        @Override
        public Response toResponse(IntegrityFailure f) {
            return answer(f);
        }
    }

    @Provider
    public static final class InternalFailureMapper implements ExceptionMapper<InternalFailure> {
        @Override
        public Response toResponse(InternalFailure f) {
            return answer(f);
        }
    }
}
