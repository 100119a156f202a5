package org.clinlora.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for another service that answers each path from a script (then repeats the script's last answer), and
 * counts the requests: for tests of how a client retries — what it sends again, and how long it waits.
 */
public final class ScriptedService implements AutoCloseable {
    /** One answer: status, headers, body (a problem, a JSON document). */
    public record Answer(int status, Map<String, String> headers, String body) {
        public static Answer ok(String json) {
            return new Answer(200, Map.of(), json);
        }

        /** An RFC 9457 problem with {@code status} and the given headers (e.g. Retry-After). */
        public static Answer problem(int status, Map<String, String> headers) {
            return new Answer(
                    status,
                    headers,
                    "{\"type\":\"https://clinlora.org/problems/x\",\"title\":\"t\",\"status\":" + status
                            + ",\"detail\":\"scripted " + status + "\",\"reason\":\"x\"}");
        }
    }

    private final HttpServer server;
    private final Map<String, Deque<Answer>> scripts = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    public ScriptedService() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            String key =
                    exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath();
            counts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            Deque<Answer> script = scripts.get(key);
            Answer a = script == null
                    ? Answer.problem(404, Map.of())
                    : script.size() > 1 ? script.pollFirst() : script.peekFirst();
            byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
            a.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
            exchange.getResponseHeaders()
                    .set("Content-Type", a.status() >= 400 ? "application/problem+json" : "application/json");
            exchange.sendResponseHeaders(a.status(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    /** {@code method path} (the raw path, e.g. {@code GET /v1/adapters/x/versions}) answers these, in order. */
    public ScriptedService on(String methodAndPath, Answer... answers) {
        scripts.put(methodAndPath, new ArrayDeque<>(List.of(answers)));
        return this;
    }

    /** How many requests {@code method path} received. */
    public int requests(String methodAndPath) {
        AtomicInteger n = counts.get(methodAndPath);
        return n == null ? 0 : n.get();
    }

    public String url() {
        return LocalServices.url(server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
