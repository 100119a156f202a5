package org.clinlora.platform.registry;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import org.clinlora.platform.calls.RetryPolicy;
import org.clinlora.platform.registry.RegistryClient.RegistryException;

/**
 * {@link RegistryApi} over the JDK's HTTP client, for the command line and the tests, which run outside Quarkus (the
 * services use {@link RestRegistryApi}). It retries as {@link RetryPolicy} says, in a plain loop; only GETs count as
 * repeatable.
 */
public final class JdkRegistryApi implements RegistryApi {
    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final String baseUrl;
    private final Supplier<String> bearerToken;
    private final RetryPolicy policy;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** {@code bearerToken}: asked for on every request (a rotated token is used at once); may be null. */
    public JdkRegistryApi(String baseUrl, Supplier<String> bearerToken, RetryPolicy policy) {
        this.baseUrl = baseUrl.replaceAll("/+$", "");
        this.bearerToken = bearerToken;
        this.policy = policy;
    }

    @Override
    public JsonNode resolve(String name, String selector) throws IOException {
        return getJson("/v1/adapters/" + enc(name) + "/resolve/" + enc(selector));
    }

    @Override
    public JsonNode versions(String name) throws IOException {
        return getJson("/v1/adapters/" + enc(name) + "/versions");
    }

    @Override
    public JsonNode card(String name, int version) throws IOException {
        return getJson("/v1/adapters/" + enc(name) + "/versions/" + version);
    }

    @Override
    public InputStream file(String name, int version, String file) throws IOException {
        String path = "/v1/adapters/" + enc(name) + "/versions/" + version + "/files/" + enc(file);
        return send(request(path).GET().build(), HttpResponse.BodyHandlers.ofInputStream(), true)
                .body();
    }

    @Override
    public JsonNode publishFromStore(String name, Map<String, Object> body) throws IOException {
        return JSON.readTree(
                sendJson("POST", "/v1/adapters/" + enc(name) + "/versions/from-store", body, Duration.ofMinutes(5)));
    }

    @Override
    public void moveAlias(String name, String alias, Map<String, Object> body) throws IOException {
        sendJson("PUT", "/v1/adapters/" + enc(name) + "/aliases/" + enc(alias), body, Duration.ofMinutes(5));
    }

    @Override
    public void delete(String name, int version) throws IOException {
        send(
                request("/v1/adapters/" + enc(name) + "/versions/" + version)
                        .DELETE()
                        .build(),
                HttpResponse.BodyHandlers.ofString(),
                false);
    }

    @Override
    public JsonNode declareModel(String id, JsonNode declaration) throws IOException {
        return JSON.readTree(sendJson("POST", "/v1/models/" + enc(id) + "/upload", declaration, Duration.ofMinutes(5)));
    }

    @Override
    public void uploadModelFile(String id, String file, File content) throws IOException {
        send(
                request("/v1/models/" + enc(id) + "/upload/files/" + enc(file))
                        .timeout(Duration.ofHours(2))
                        .header("Content-Type", "application/octet-stream")
                        .PUT(HttpRequest.BodyPublishers.ofFile(content.toPath()))
                        .build(),
                HttpResponse.BodyHandlers.ofString(),
                false);
    }

    @Override
    public void completeModel(String id) throws IOException {
        send(
                request("/v1/models/" + enc(id) + "/upload/complete")
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString(),
                false);
    }

    private JsonNode getJson(String path) throws IOException {
        return JSON.readTree(send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString(), true)
                .body());
    }

    private String sendJson(String method, String path, Object body, Duration timeout) throws IOException {
        HttpRequest req = request(path)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                .build();
        return send(req, HttpResponse.BodyHandlers.ofString(), false).body();
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofMinutes(5));
        String token = bearerToken == null ? null : bearerToken.get();
        if (token != null && !token.isEmpty()) b.header("Authorization", "Bearer " + token);
        return b;
    }

    /** A 2xx answer, sent again while {@link RetryPolicy} says so; else the registry's refusal or the I/O error. */
    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler, boolean repeatable)
            throws IOException {
        for (int attempt = 1; ; attempt++) {
            Exception failure;
            try {
                HttpResponse<T> r = http.send(req, handler);
                if (r.statusCode() / 100 == 2) return r;
                failure = refusal(r);
            } catch (IOException e) {
                failure = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while calling the registry", e);
            }
            if (attempt >= policy.attempts() || !policy.retryable(failure, repeatable)) {
                if (failure instanceof IOException io) throw io;
                throw (RegistryException) failure;
            }
            try {
                Thread.sleep(policy.delay(attempt, failure).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while calling the registry", e);
            }
        }
    }

    private static RegistryException refusal(HttpResponse<?> r) throws IOException {
        String body;
        if (r.body() instanceof InputStream in) {
            try (in) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } else body = r.body() instanceof String s ? s : "";
        return RegistryException.of(
                r.statusCode(), body, r.headers().firstValue("Retry-After").orElse(null));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
