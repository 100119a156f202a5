package org.clinlora.platform.registry;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.clinlora.model.io.Sha256;

/**
 * registry-svc's REST API as the other services and the command line use it: resolve {@code name@version|alias} with
 * its lineage, download a version's files verified against the card's sha256 (a mismatch is refused), and publish PEFT
 * files a trainer already wrote to the bucket.
 */
public final class RegistryClient implements AdapterSource {
    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** A resolved version: its card, and its lineage from the root ancestor down to itself. */
    public record Resolved(String name, int version, AdapterCard card, List<AdapterCard> lineage) {}

    /** The registry answered with an error status; {@code status} and the registry's own message are kept. */
    public static final class RegistryException extends RuntimeException {
        private final int status;
        private final boolean integrity;

        public RegistryException(int status, String message) {
            this(status, message, false);
        }

        public RegistryException(int status, String message, boolean integrity) {
            super(message);
            this.status = status;
            this.integrity = integrity;
        }

        public int status() {
            return status;
        }

        /** The bytes did not match the sha256 the card recorded (the registry's 500 integrity_error, or ours). */
        public boolean integrityFailure() {
            return integrity;
        }
    }

    /** Attempts per call by default: 0.5 + 1 + 2 + 4 s of waiting, enough for a registry-svc restart. */
    public static final int DEFAULT_ATTEMPTS = 5;

    private final String baseUrl;
    private final HttpClient http;
    private final Duration backoff;
    private final int attempts;
    private final Supplier<String> bearerToken;

    /** {@code bearerToken}: the caller's token, asked for on every request (a rotated token is used at once). */
    public RegistryClient(String baseUrl, Supplier<String> bearerToken) {
        this(baseUrl, bearerToken, Duration.ofMillis(500));
    }

    /** {@code backoff}: the wait before the first retry, doubled for each further one. */
    public RegistryClient(String baseUrl, Supplier<String> bearerToken, Duration backoff) {
        this(baseUrl, bearerToken, backoff, DEFAULT_ATTEMPTS);
    }

    /**
     * {@code attempts}: how many times a call is sent in all. A caller with a person or a pipeline waiting on it (the
     * scorer) sends fewer and lets its own caller retry after Retry-After.
     */
    public RegistryClient(String baseUrl, Supplier<String> bearerToken, Duration backoff, int attempts) {
        if (attempts < 1) throw new IllegalArgumentException("registry attempts must be at least 1");
        this.backoff = backoff;
        this.attempts = attempts;
        this.baseUrl = baseUrl.replaceAll("/+$", "");
        this.bearerToken = bearerToken;
        this.http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    @Override
    public Resolved resolve(AdapterRef ref) throws IOException {
        return resolve(ref.name(), ref.selector());
    }

    public Resolved resolve(String name, String versionOrAlias) throws IOException {
        JsonNode n = getJson("/v1/adapters/" + enc(name) + "/resolve/" + enc(versionOrAlias));
        List<AdapterCard> lineage = new ArrayList<>();
        for (JsonNode c : n.path("lineage")) lineage.add(JSON.treeToValue(c, AdapterCard.class));
        return new Resolved(
                n.path("name").asText(),
                n.path("version").asInt(),
                JSON.treeToValue(n.path("card"), AdapterCard.class),
                lineage);
    }

    public List<AdapterCard> versions(String name) throws IOException {
        try {
            JsonNode n = getJson("/v1/adapters/" + enc(name) + "/versions");
            List<AdapterCard> out = new ArrayList<>();
            for (JsonNode c : n) out.add(JSON.treeToValue(c, AdapterCard.class));
            return out;
        } catch (RegistryException e) {
            if (e.status() == 404) return List.of();
            throw e;
        }
    }

    /**
     * Downloads every file of the card into {@code dir} (created), each checked against the card's sha256 while it
     * streams; a file that does not match is deleted and the call fails.
     */
    @Override
    public Path download(AdapterCard card, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, AdapterCard.FileEntry> f : card.files().entrySet()) {
            if (f.getKey().contains("/") || f.getKey().startsWith("."))
                throw new IllegalArgumentException("card names an unsafe file: " + f.getKey());
            Path target = dir.resolve(f.getKey());
            if (Files.isRegularFile(target)
                    && Sha256.of(target).equals(f.getValue().sha256())) continue;
            HttpResponse<InputStream> r = send(
                    request("/v1/adapters/" + enc(card.name()) + "/versions/" + card.version() + "/files/"
                                    + enc(f.getKey()))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                String body;
                try (InputStream in = r.body()) {
                    body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                throw new RegistryException(
                        r.statusCode(),
                        "download of " + card.ref() + "/" + f.getKey() + ": " + message(body),
                        body.contains("integrity_error"));
            }
            Path tmp = Files.createTempFile(dir, ".download", ".part");
            try {
                String got;
                try (InputStream in = r.body();
                        var out = Files.newOutputStream(tmp)) {
                    got = Sha256.copy(in, out);
                }
                if (!got.equals(f.getValue().sha256())) {
                    throw new RegistryException(
                            200,
                            card.ref() + "/" + f.getKey() + " does not match the sha256 in its card; refusing it",
                            true);
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        return dir;
    }

    /** Publishes the PEFT files under {@code sourcePrefix} in the bucket as a new version of {@code name}. */
    public AdapterCard publishFromStore(String name, String sourcePrefix, PublishRequest card) throws IOException {
        byte[] body = JSON.writeValueAsBytes(Map.of("sourcePrefix", sourcePrefix, "card", card));
        HttpResponse<String> r = send(
                request("/v1/adapters/" + enc(name) + "/versions/from-store")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201)
            throw new RegistryException(r.statusCode(), "publish of " + name + ": " + message(r.body()));
        return JSON.readValue(r.body(), AdapterCard.class);
    }

    /**
     * Publishes unless a version of {@code name} already carries {@code jobId} in its training config: a publish that
     * may be repeated (after a broken connection, a registry that stopped mid-publish, a resumed job) without making a
     * second version. The registry never shows a version before its files and card are complete, so "not listed" means
     * "not published".
     */
    public AdapterCard publishOnce(String name, String sourcePrefix, PublishRequest card, String jobId)
            throws IOException {
        Optional<AdapterCard> done = publishedBy(name, jobId);
        return done.isPresent() ? done.get() : publishFromStore(name, sourcePrefix, card);
    }

    /** The version of {@code name} that job {@code jobId} published, if any. */
    public Optional<AdapterCard> publishedBy(String name, String jobId) throws IOException {
        for (AdapterCard c : versions(name)) {
            if (c.trainingConfig() != null && jobId.equals(c.trainingConfig().get("jobId"))) return Optional.of(c);
        }
        return Optional.empty();
    }

    /**
     * Moves an alias (production, staging) to a version, compare-and-set: {@code expected} is the version it points at
     * now, null when it must not exist yet; otherwise the registry answers 409 and nothing moves.
     */
    public void moveAlias(String name, String alias, int version, Integer expected) throws IOException {
        var body = new LinkedHashMap<String, Object>();
        body.put("version", version);
        if (expected != null) body.put("expectedVersion", expected);
        HttpResponse<String> r = send(
                request("/v1/adapters/" + enc(name) + "/aliases/" + enc(alias))
                        .header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2)
            throw new RegistryException(r.statusCode(), "alias " + name + "@" + alias + ": " + message(r.body()));
    }

    public void delete(String name, int version) throws IOException {
        HttpResponse<String> r = send(
                request("/v1/adapters/" + enc(name) + "/versions/" + version)
                        .DELETE()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2 && r.statusCode() != 404)
            throw new RegistryException(r.statusCode(), "delete of " + name + "@" + version + ": " + message(r.body()));
    }

    /** What a model push did: whether the model was already stored with these files, and the files it sent. */
    public record ModelPush(boolean alreadyStored, List<String> sent, long bytesSent) {}

    /**
     * Pushes a Hugging Face model directory as base model {@code id} through {@code /v1/models}: every file declared
     * with its sha256 and size, the ones the registry does not hold yet sent one by one, then completed (the registry
     * checks the checkpoint — LLaMA or BERT — before the model exists). Repeating an interrupted push sends only what
     * is missing; a model stored with the same files is left as it is; one stored with other files is a 409.
     *
     * @param progress told (bytes sent so far, bytes to send) after each file; may be null
     */
    public ModelPush pushModel(String id, Path dir, BiConsumer<Long, Long> progress) throws IOException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": not a directory");
        String base = "/v1/models/" + enc(id);
        ObjectNode declaration = JSON.createObjectNode();
        ObjectNode files = declaration.putObject("files");
        List<Path> paths;
        try (var st = Files.list(dir)) {
            paths = st.filter(Files::isRegularFile)
                    .filter(f -> !f.getFileName().toString().startsWith("."))
                    .sorted()
                    .toList();
        }
        for (Path f : paths)
            files.putObject(f.getFileName().toString())
                    .put("sha256", Sha256.of(f))
                    .put("size", Files.size(f));
        HttpResponse<String> r = send(
                request(base + "/upload")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(declaration)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200)
            throw new RegistryException(r.statusCode(), "push of model " + id + ": " + message(r.body()));
        JsonNode state = JSON.readTree(r.body());
        if ("stored".equals(state.path("status").asText())) return new ModelPush(true, List.of(), 0);
        long toSend = 0, sent = 0;
        for (JsonNode m : state.path("missing")) toSend += Files.size(dir.resolve(m.asText()));
        List<String> names = new ArrayList<>();
        for (JsonNode m : state.path("missing")) {
            String f = m.asText();
            HttpResponse<String> put = send(
                    request(base + "/upload/files/" + enc(f))
                            .timeout(Duration.ofHours(2))
                            .header("Content-Type", "application/octet-stream")
                            .PUT(HttpRequest.BodyPublishers.ofFile(dir.resolve(f)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (put.statusCode() != 200)
                throw new RegistryException(
                        put.statusCode(), "push of model " + id + ", file " + f + ": " + message(put.body()));
            sent += Files.size(dir.resolve(f));
            names.add(f);
            if (progress != null) progress.accept(sent, toSend);
        }
        HttpResponse<String> done = send(
                request(base + "/upload/complete")
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (done.statusCode() != 201)
            throw new RegistryException(done.statusCode(), "push of model " + id + ": " + message(done.body()));
        return new ModelPush(false, List.copyOf(names), sent);
    }

    public Optional<AdapterCard> card(String name, int version) throws IOException {
        try {
            return Optional.of(
                    JSON.treeToValue(getJson("/v1/adapters/" + enc(name) + "/versions/" + version), AdapterCard.class));
        } catch (RegistryException e) {
            if (e.status() == 404) return Optional.empty();
            throw e;
        }
    }

    private JsonNode getJson(String path) throws IOException {
        HttpResponse<String> r = send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200)
            throw new RegistryException(r.statusCode(), "GET " + path + ": " + message(r.body()));
        return JSON.readTree(r.body());
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofMinutes(5));
        String token = bearerToken == null ? null : bearerToken.get();
        if (token != null && !token.isEmpty()) b.header("Authorization", "Bearer " + token);
        return b;
    }

    /**
     * Sends with retries: a 502/503/504 answer means nothing was done, so any request is sent again; a broken
     * connection is retried only for reads, whose repetition cannot publish twice. Backoff 0.5, 1, 2, 4 s.
     */
    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) throws IOException {
        boolean read = req.method().equals("GET");
        for (int attempt = 1; ; attempt++) {
            try {
                HttpResponse<T> r = http.send(req, handler);
                if (attempt >= attempts || (r.statusCode() != 502 && r.statusCode() != 503 && r.statusCode() != 504))
                    return r;
                if (r.body() instanceof InputStream in) in.close();
            } catch (IOException e) {
                if (!read || attempt >= attempts) throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while calling the registry", e);
            }
            try {
                Thread.sleep(backoff.toMillis() << (attempt - 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while calling the registry", e);
            }
        }
    }

    private static String message(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.has("message")) return n.get("message").asText();
        } catch (IOException ignored) {
            // not our JSON error shape
        }
        return body == null ? "" : body.length() > 300 ? body.substring(0, 300) : body;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
