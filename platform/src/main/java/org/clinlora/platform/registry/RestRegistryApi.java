package org.clinlora.platform.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.clinlora.platform.calls.BearerToken;
import org.clinlora.platform.calls.CallGuard;
import org.clinlora.platform.calls.PeerTraceFilter;
import org.clinlora.platform.calls.RetryPolicy;

/**
 * {@link RegistryApi} as the services call it: Quarkus REST Client over {@link RegistryHttp} (so quarkus-opentelemetry
 * makes a client span and sends {@code traceparent}, and the registry's span joins the caller's trace), each call under
 * {@link CallGuard} (SmallRye Fault Tolerance, retried as {@link RetryPolicy} says, Retry-After honoured). Errors are
 * read by {@link RegistryProblems}; the bearer token is the service's own, re-read on every request.
 *
 * <p>Two clients, because a read timeout is a client's: calls wait at most 5 minutes for an answer, a model file's
 * upload (gigabytes, answered once stored) 2 hours. Connecting waits 10 s.
 */
public final class RestRegistryApi implements RegistryApi {
    private final RegistryHttp calls;
    private final RegistryHttp uploads;
    private final CallGuard guard;

    private RestRegistryApi(RegistryHttp calls, RegistryHttp uploads, CallGuard guard) {
        this.calls = calls;
        this.uploads = uploads;
        this.guard = guard;
    }

    /** registry-svc at {@code url}, called with {@code token}, retried per {@code policy}. */
    public static RegistryApi create(String url, Supplier<String> token, RetryPolicy policy) {
        return new RestRegistryApi(
                client(url, token, Duration.ofMinutes(5)),
                client(url, token, Duration.ofHours(2)),
                new CallGuard(policy, "registry-svc"));
    }

    private static RegistryHttp client(String url, Supplier<String> token, Duration readTimeout) {
        return QuarkusRestClientBuilder.newBuilder()
                .baseUri(URI.create(url.replaceAll("/+$", "")))
                .connectTimeout(10, TimeUnit.SECONDS)
                .readTimeout(readTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .register(new BearerToken(token))
                .register(new RegistryProblems())
                .register(new PeerTraceFilter())
                .build(RegistryHttp.class);
    }

    @Override
    public JsonNode resolve(String name, String selector) throws IOException {
        return guard.read(() -> calls.resolve(name, selector));
    }

    @Override
    public JsonNode versions(String name) throws IOException {
        return guard.read(() -> calls.versions(name));
    }

    @Override
    public JsonNode card(String name, int version) throws IOException {
        return guard.read(() -> calls.card(name, version));
    }

    @Override
    public InputStream file(String name, int version, String file) throws IOException {
        return guard.read(() -> calls.file(name, version, file));
    }

    @Override
    public JsonNode publishFromStore(String name, Map<String, Object> body) throws IOException {
        return guard.write(() -> calls.publishFromStore(name, body));
    }

    @Override
    public void moveAlias(String name, String alias, Map<String, Object> body) throws IOException {
        guard.write(() -> {
            calls.moveAlias(name, alias, body);
            return null;
        });
    }

    @Override
    public void delete(String name, int version) throws IOException {
        guard.write(() -> {
            calls.delete(name, version);
            return null;
        });
    }

    @Override
    public JsonNode declareModel(String id, JsonNode declaration) throws IOException {
        return guard.write(() -> calls.declareModel(id, declaration));
    }

    @Override
    public void uploadModelFile(String id, String file, File content) throws IOException {
        guard.write(() -> {
            uploads.uploadModelFile(id, file, content);
            return null;
        });
    }

    @Override
    public void completeModel(String id) throws IOException {
        guard.write(() -> {
            calls.completeModel(id);
            return null;
        });
    }
}
