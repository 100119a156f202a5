package org.clinlora.console.backend;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.client.Client;
import jakarta.ws.rs.client.ClientBuilder;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.client.Invocation;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.clinlora.platform.api.Problem;
import org.clinlora.platform.calls.CallGuard;
import org.clinlora.platform.calls.PeerTraceFilter;
import org.clinlora.platform.calls.Refusal;
import org.clinlora.platform.calls.RetryPolicy;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.search.PageWindow;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.jboss.resteasy.reactive.client.api.QuarkusRestClientProperties;

/**
 * The console's calls to the four services, each with the signed-in user's own bearer token, so every service applies
 * its own role rules to what the user does here (the console holds no privileges of its own). An unreachable service is
 * a 503 for the page; the services' own refusals (RFC 9457 problems) come back as they are, for the page to show. The
 * calls go through Quarkus REST Client (traced: each service's spans join the page's trace) and are retried as the
 * platform's {@link RetryPolicy} says, with the console's own {@link #RETRIES}.
 */
@ApplicationScoped
public class ServiceCalls {
    /**
     * A service's answer: its status, JSON body (a missing node when it sent none) and, for a paged list, how many
     * items matched in all ({@code X-Total-Count}; null when the service did not say).
     */
    public record Reply(int status, JsonNode body, Integer totalCount) {
        public Reply(int status, JsonNode body) {
            this(status, body, null);
        }

        public boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The service's own message for a refusal, e.g. the 409 of an alias moved by someone else. */
        public String message() {
            String m = problem().message();
            return m.isEmpty() ? "HTTP " + status : m;
        }

        /** A refusal as the service said it: its problem body (the shape before problems is read too). */
        public Problem problem() {
            return Problem.read(status, body.isObject() ? body.toString() : "");
        }
    }

    public enum Service {
        REGISTRY,
        TRAINER,
        TOKENIZER,
        SCORER
    }

    /**
     * A person waits on the page: a call is sent at most twice, and a Retry-After longer than 2 s is not waited for —
     * the page passes the service's "try later" on instead.
     */
    static final RetryPolicy RETRIES = new RetryPolicy(2, Duration.ofMillis(250), Duration.ofSeconds(2));

    static final int PARALLEL = 16;

    /** How long a download may wait for its next bytes (the registry verifies a large file before sending it). */
    static final Duration DOWNLOAD_IDLE = Duration.ofMinutes(10);

    private static final ObjectMapper JSON = new ObjectMapper();
    // Quarkus REST Client's Jakarta REST client: quarkus-opentelemetry makes a client span for each call and sends
    // traceparent, so a service's spans join the page's trace.
    private final Client http = ClientBuilder.newBuilder()
            .connectTimeout(5, TimeUnit.SECONDS)
            .register(new PeerTraceFilter())
            .build();
    private final CallGuard guard = new CallGuard(RETRIES, "console-svc calls");
    // Quarkus's executor: each task runs in the trace of the page that asked (context propagation carries it).
    private final ManagedExecutor parallel;
    private final String registry, trainer, tokenizer, scorer;

    public ServiceCalls(
            ManagedExecutor parallel,
            @ConfigProperty(name = "clinlora.registry.url") String registry,
            @ConfigProperty(name = "clinlora.trainer.url") String trainer,
            @ConfigProperty(name = "clinlora.tokenizer.url") String tokenizer,
            @ConfigProperty(name = "clinlora.scorer.url") String scorer) {
        this.parallel = parallel;
        this.registry = registry;
        this.trainer = trainer;
        this.tokenizer = tokenizer;
        this.scorer = scorer;
    }

    @PreDestroy
    void close() {
        http.close();
    }

    public Reply get(Service s, String path, String token) {
        return send(s, "GET", path, null, token, Duration.ofSeconds(30));
    }

    /**
     * GETs several paths at once (at most {@link #PARALLEL} in flight), answers in the order asked: a registry of a few
     * hundred adapters is one versions call per adapter, and one after another they would take seconds.
     */
    public List<Reply> getAll(Service s, List<String> paths, String token) {
        List<Future<Reply>> futures = new ArrayList<>();
        Semaphore slots = new Semaphore(PARALLEL);
        try {
            for (String path : paths) {
                slots.acquire();
                futures.add(parallel.submit(() -> {
                    try {
                        return get(s, path, token);
                    } finally {
                        slots.release();
                    }
                }));
            }
            List<Reply> out = new ArrayList<>();
            for (var f : futures) out.add(f.get(60, TimeUnit.SECONDS));
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted", "interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failed) throw failed;
            throw unreachable(s);
        } catch (TimeoutException e) {
            throw unreachable(s);
        } finally {
            for (var f : futures) f.cancel(true);
        }
    }

    /**
     * One call, sent again as {@link RetryPolicy} says (a GET after a broken connection or a 502/504; any call after a
     * 429/503 whose Retry-After is short); the last answer is returned as the service gave it.
     */
    public Reply send(Service s, String method, String path, Object body, String token, Duration timeout) {
        byte[] json;
        try {
            json = body == null ? null : JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("a request body that is not JSON", e);
        }
        CallGuard.Call<Reply> call = () -> exchange(s, method, path, json, token, timeout);
        try {
            return method.equals("GET") ? guard.read(call) : guard.write(call);
        } catch (TryLater answer) {
            return answer.reply;
        } catch (IOException e) {
            throw unreachable(s);
        }
    }

    /** A request to a service as the user: their bearer token; JSON wanted, a file (evaluation.json) accepted. */
    private Reply exchange(Service s, String method, String path, byte[] json, String token, Duration timeout) {
        Invocation.Builder b = http.target(URI.create(base(s) + path))
                .request()
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json, */*;q=0.5")
                .property(QuarkusRestClientProperties.READ_TIMEOUT, timeout.toMillis());
        try (Response r = json == null
                ? b.method(method)
                : b.method(method, Entity.entity(json, MediaType.APPLICATION_JSON_TYPE))) {
            Reply reply = reply(
                    r.getStatus(),
                    r.hasEntity() ? r.readEntity(byte[].class) : new byte[0],
                    r.getHeaderString(PageWindow.TOTAL_COUNT_HEADER));
            int status = r.getStatus();
            if (status == 429 || status == 502 || status == 503 || status == 504)
                throw new TryLater(reply, RetryPolicy.retryAfter(r.getHeaderString("Retry-After")));
            return reply;
        }
    }

    private static Reply reply(int status, byte[] body, String totalCount) {
        try {
            JsonNode json = body.length == 0 ? MissingNode.getInstance() : JSON.readTree(body);
            return new Reply(status, json, totalCount == null ? null : Integer.valueOf(totalCount));
        } catch (IOException e) {
            return new Reply(502, MissingNode.getInstance());
        }
    }

    private static Unavailable unreachable(Service s) {
        return new Unavailable(
                "service_unavailable", s.name().toLowerCase() + "-svc could not be reached; retry later");
    }

    /** An answer that may be worth another attempt (429, 502–504), carried through the retry as a failure. */
    private static final class TryLater extends RuntimeException implements Refusal {
        private final transient Reply reply;
        private final transient Optional<Duration> retryAfter;

        TryLater(Reply reply, Optional<Duration> retryAfter) {
            super("HTTP " + reply.status(), null, false, false);
            this.reply = reply;
            this.retryAfter = retryAfter;
        }

        @Override
        public int status() {
            return reply.status();
        }

        @Override
        public Optional<Duration> retryAfter() {
            return retryAfter;
        }
    }

    /**
     * The body of a successful answer. Otherwise an {@link UpstreamAnswer}: a refusal (4xx) keeps its status, reason
     * and message; a service that cannot serve now stays 503; any other failure of a service is 502.
     */
    public JsonNode require(Reply r) {
        if (r.ok()) return r.body();
        throw refusal(r);
    }

    private static UpstreamAnswer refusal(Reply r) {
        int status = r.status() >= 400 && r.status() < 500 || r.status() == 503 ? r.status() : 502;
        Problem p = r.problem();
        return new UpstreamAnswer(status, r.body().isObject() ? p.reason() : "upstream_error", r.message());
    }

    /** A file a service is sending: its bytes as they arrive and the answer's headers; closing it ends the call. */
    public static final class Download implements AutoCloseable {
        private final Response response;

        private Download(Response response) {
            this.response = response;
        }

        public InputStream body() {
            return response.readEntity(InputStream.class);
        }

        /** A header of the service's answer, or null. */
        public String header(String name) {
            return response.getHeaderString(name);
        }

        @Override
        public void close() {
            response.close();
        }
    }

    /**
     * A file from a service as the user (their token, so the service applies its own rules), streamed: asked for as a
     * {@link Response}, Quarkus REST Client hands the body over as it arrives, so a multi-gigabyte adapter passes
     * through in small chunks and is never held whole here ({@code ConsolePagesTest} holds the registry's second half
     * back until the first has reached the browser). Sent once (a retry could not take back bytes already passed on); a
     * refusal is an {@link UpstreamAnswer} as for {@link #require}. The caller closes the download.
     */
    public Download download(Service s, String path, String token) {
        Response r;
        try {
            r = http.target(URI.create(base(s) + path))
                    .request()
                    .header("Authorization", "Bearer " + token)
                    .header("Accept", "application/octet-stream, application/problem+json;q=0.9")
                    .property(QuarkusRestClientProperties.READ_TIMEOUT, DOWNLOAD_IDLE.toMillis())
                    // Response.class named: the client then streams the body (a bare get() reads it whole first).
                    .method("GET", Response.class);
        } catch (ProcessingException e) {
            throw unreachable(s);
        }
        if (r.getStatus() >= 200 && r.getStatus() < 300) return new Download(r);
        try (r) {
            throw refusal(reply(r.getStatus(), r.hasEntity() ? r.readEntity(byte[].class) : new byte[0], null));
        }
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
