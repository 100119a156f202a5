package org.clinlora.platform.api;

import io.vertx.ext.web.Router;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * What the test suite saw, for the OpenAPI contract check (the platform test-jar's {@code OpenApiContract}, run by each
 * service's {@code *ContractIT}): with {@value #PROPERTY} naming a file (each service's {@code application.properties}
 * sets it for the test profile), every answer appends one line to it, {@code METHOD path status}. Without the property
 * (every other profile) it installs nothing.
 *
 * <p>Recorded at the HTTP layer, ahead of every other handler, not in a JAX-RS filter: the statuses a client gets
 * before a resource method is chosen — 413 from {@link HttpRefusals}, 404, 405 and 415 from the framework's matching —
 * are answers of the operation too, and a JAX-RS filter would not see them. The check maps each path to its operation.
 */
@ApplicationScoped
public class ObservedStatuses {
    /** The file to append to; unset outside tests. */
    public static final String PROPERTY = "clinlora.testing.observed-statuses";

    private static final Object LOCK = new Object();

    // Before HttpRefusals' observer (default priority 2500): both routes have the first order, so the one installed
    // first runs first, and HttpRefusals ends a too-large request without handing it on.
    void install(@Observes @Priority(1000) Router router) {
        String file = ConfigProvider.getConfig()
                .getOptionalValue(PROPERTY, String.class)
                .orElse("");
        if (file.isBlank()) return;
        Path out = Path.of(file);
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            // The path as routing sees it (dot segments removed, unreserved characters decoded), not as sent: an
            // answer to "/v1/a/../b" is one of /v1/b's operation, if there is one.
            String request = ctx.request().method().name() + " " + ctx.normalizedPath();
            ctx.addHeadersEndHandler(
                    v -> append(out, request + " " + ctx.response().getStatusCode()));
            ctx.next();
        });
    }

    // One write per line in append mode: the JVMs of one module's test executions share the file.
    private static void append(Path out, String line) {
        synchronized (LOCK) {
            try {
                Files.createDirectories(out.toAbsolutePath().getParent());
                Files.writeString(
                        out, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot record an observed status in " + out, e);
            }
        }
    }
}
