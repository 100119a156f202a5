package org.clinlora.platform.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Locale;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * A body declared larger than {@code quarkus.http.limits.max-body-size} is refused here with the usual JSON error shape
 * (413), ahead of Quarkus's own check, which ends the response with no body. Request lines and headers beyond the HTTP
 * codec's limits (414, 431) are refused by the codec itself before any handler runs; the line limit is set generously
 * in the platform's shared configuration so that long names and query strings reach the resources and get a JSON
 * 400/404 from them.
 */
@ApplicationScoped
public class HttpRefusals {
    void install(@Observes Router router) {
        long limit = memorySize(ConfigProvider.getConfig()
                .getOptionalValue("quarkus.http.limits.max-body-size", String.class)
                .orElse("10240K"));
        String body = new JsonObject()
                .put("error", "payload_too_large")
                .put(
                        "message",
                        "the request body is larger than this service accepts (" + limit / (1024 * 1024) + " MiB)")
                .encode();
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            if (declaredLength(ctx.request().getHeader("Content-Length")) > limit) {
                ctx.response()
                        .setStatusCode(413)
                        .putHeader("Connection", "close")
                        .putHeader("Content-Type", "application/json")
                        .end(body);
                return;
            }
            ctx.next();
        });
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
