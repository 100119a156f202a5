package org.clinlora.console.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.clinlora.platform.failure.Unavailable;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The console's calls to the four services, each with the signed-in user's own bearer token, so every service applies
 * its own role rules to what the user does here (the console holds no privileges of its own). An unreachable service is
 * a 503 for the page; the services' own JSON errors come back as they are, for the page to show.
 */
@ApplicationScoped
public class ServiceCalls {
    /** A service's answer: its status and JSON body (a missing node when it sent none). */
    public record Reply(int status, JsonNode body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The service's own message for a refusal, e.g. the 409 of an alias moved by someone else. */
        public String message() {
            String m = body.path("message").asText("");
            return m.isEmpty() ? "HTTP " + status : m;
        }
    }

    public enum Service {
        REGISTRY,
        TRAINER,
        TOKENIZER,
        SCORER
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final String registry, trainer, tokenizer, scorer;

    public ServiceCalls(
            @ConfigProperty(name = "clinlora.registry.url") String registry,
            @ConfigProperty(name = "clinlora.trainer.url") String trainer,
            @ConfigProperty(name = "clinlora.tokenizer.url") String tokenizer,
            @ConfigProperty(name = "clinlora.scorer.url") String scorer) {
        this.registry = registry;
        this.trainer = trainer;
        this.tokenizer = tokenizer;
        this.scorer = scorer;
    }

    public Reply get(Service s, String path, String token) {
        return send(s, "GET", path, null, token, Duration.ofSeconds(30));
    }

    /**
     * GETs several paths at once (at most {@link #PARALLEL} in flight), answers in the order asked: a registry of a few
     * hundred adapters is one versions call per adapter, and one after another they would take seconds.
     */
    public List<Reply> getAll(Service s, List<String> paths, String token) {
        Semaphore slots = new Semaphore(PARALLEL);
        List<CompletableFuture<Reply>> futures = new ArrayList<>();
        try {
            for (String path : paths) {
                slots.acquire();
                HttpRequest req =
                        request(s, path, token, Duration.ofSeconds(30)).GET().build();
                futures.add(http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray())
                        .whenComplete((r, e) -> slots.release())
                        .thenApply(ServiceCalls::reply));
            }
            List<Reply> out = new ArrayList<>();
            for (var f : futures) out.add(f.get(60, TimeUnit.SECONDS));
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted", "interrupted");
        } catch (ExecutionException | TimeoutException e) {
            throw new Unavailable(
                    "service_unavailable", s.name().toLowerCase() + "-svc could not be reached; retry later");
        }
    }

    static final int PARALLEL = 16;

    private static Reply reply(HttpResponse<byte[]> r) {
        try {
            return new Reply(
                    r.statusCode(), r.body().length == 0 ? MissingNode.getInstance() : JSON.readTree(r.body()));
        } catch (IOException e) {
            return new Reply(502, MissingNode.getInstance());
        }
    }

    public Reply send(Service s, String method, String path, Object body, String token, Duration timeout) {
        HttpRequest.Builder b = request(s, path, token, timeout);
        try {
            if (body != null)
                b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            else b.method(method, HttpRequest.BodyPublishers.noBody());
            return reply(http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray()));
        } catch (IOException e) {
            throw new Unavailable(
                    "service_unavailable", s.name().toLowerCase() + "-svc could not be reached; retry later");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted", "interrupted");
        }
    }

    /** A request to a service as the user: their bearer token; JSON wanted, a file (evaluation.json) accepted. */
    private HttpRequest.Builder request(Service s, String path, String token, Duration timeout) {
        return HttpRequest.newBuilder(URI.create(base(s) + path))
                .timeout(timeout)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json, */*;q=0.5");
    }

    /**
     * The body of a successful answer. Otherwise an {@link UpstreamAnswer}: a refusal (4xx) keeps its status, reason
     * and message; a service that cannot serve now stays 503; any other failure of a service is 502.
     */
    public JsonNode require(Reply r) {
        if (r.ok()) return r.body();
        int status = r.status() >= 400 && r.status() < 500 || r.status() == 503 ? r.status() : 502;
        throw new UpstreamAnswer(
                status, r.body().path("reason").asText(r.body().path("error").asText("upstream_error")), r.message());
    }

    public static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private String base(Service s) {
        return switch (s) {
            case REGISTRY -> registry;
            case TRAINER -> trainer;
            case TOKENIZER -> tokenizer;
            case SCORER -> scorer;
        };
    }
}
