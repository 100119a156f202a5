package org.clinlora.platform.api;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Locale;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * A body declared larger than {@code quarkus.http.limits.max-body-size} is refused here with the usual {@link Problem}
 * (413), ahead of Quarkus's own check, which ends the response with no body. Request lines and headers beyond the HTTP
 * codec's limits (414, 431) are refused by the codec itself before any handler runs; the line limit is set generously
 * in the platform's shared configuration so that long names and query strings reach the resources and get a problem
 * 400/404 from them. A request no route takes, and a status the HTTP layer fails a request with and writes no body for,
 * get a problem here too.
 */
@ApplicationScoped
public class HttpRefusals {
    void install(@Observes Router router) {
        long limit = memorySize(ConfigProvider.getConfig()
                .getOptionalValue("quarkus.http.limits.max-body-size", String.class)
                .orElse("10240K"));
        String detail = "the request body is larger than this service accepts (" + limit / (1024 * 1024) + " MiB)";
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            if (declaredLength(ctx.request().getHeader("Content-Length")) > limit) {
                ctx.response().putHeader("Connection", "close");
                answer(ctx, 413, "payload_too_large", detail);
                return;
            }
            ctx.next();
        });
        // A request no route answers (a service whose REST layer hands unknown paths on, as the console's does for
        // its static files) and a status the HTTP layer fails a request with but writes no body for (a streamed body
        // beyond the limit): problems too. A failure with an exception goes on to Quarkus's handler.
        router.errorHandler(404, ctx -> answer(ctx, 404, null, "no resource at this path"));
        router.route().order(Integer.MIN_VALUE).failureHandler(ctx -> {
            if (ctx.failure() == null
                    && ctx.statusCode() >= 400
                    && !ctx.response().headWritten()) {
                answer(ctx, ctx.statusCode(), null, null);
                return;
            }
            ctx.next();
        });
    }

    private static void answer(RoutingContext ctx, int status, String reason, String detail) {
        if (ctx.response().headWritten()) return;
        Problem p =
                Problem.of(status, reason, detail, ctx.request().path(), TraceIds.current(ctx.request()::getHeader));
        if (status == 429 || status == 503) ctx.response().putHeader("Retry-After", Problems.RETRY_AFTER_SECONDS);
        ctx.response()
                .setStatusCode(status)
                .putHeader("Content-Type", Problem.MEDIA_TYPE)
                .end(p.toJson());
    }

    private static long declaredLength(String header) {
        try {
            return header == null ? -1 : Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1; // the codec rejects a malformed Content-Length anyway
        }
    }

    /** Quarkus's memory-size syntax: a number with an optional K, M, G or T suffix (powers of 1024). */
    static long memorySize(String v) {
        String s = v.trim().toUpperCase(Locale.ROOT);
        long unit =
                switch (s.isEmpty() ? ' ' : s.charAt(s.length() - 1)) {
                    case 'K' -> 1L << 10;
                    case 'M' -> 1L << 20;
                    case 'G' -> 1L << 30;
                    case 'T' -> 1L << 40;
                    default -> 1;
                };
        return Long.parseLong(unit == 1 ? s : s.substring(0, s.length() - 1)) * unit;
    }
}
