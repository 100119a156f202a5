package org.clinlora.platform.api;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import org.clinlora.platform.failure.Busy;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.failure.Failure;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.TooLarge;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.failure.UpstreamFailure;

/**
 * The HTTP status of each kind of {@link Failure}: the only place that decides which status a domain failure is. The
 * answer is a {@link Problem} whose reason is the failure's; "try later" answers (429, 503) carry {@code Retry-After}.
 */
public final class FailureMappers {
    private FailureMappers() {}

    /**
     * The HTTP status of a failure kind: the one table (the console's error pages read it too). A full queue is 429
     * (the client should slow down and retry), never 503, which says this pod or a dependency cannot serve at all.
     */
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

    /**
     * Every failure kind, one mapper: nothing else maps a {@code Failure} subtype, so the sealed type is the most
     * specific mapper for each (the console's pages put theirs ahead of it with a higher priority).
     */
    @Provider
    public static final class AnyFailure extends ProblemMapper<Failure> {
        @Override
        public Response toResponse(Failure f) {
            return Problems.of(f, uri, headers);
        }
    }
}
