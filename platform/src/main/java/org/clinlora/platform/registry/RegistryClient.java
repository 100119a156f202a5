package org.clinlora.platform.registry;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
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
import org.clinlora.platform.api.Problem;
import org.clinlora.platform.calls.Refusal;
import org.clinlora.platform.calls.RetryPolicy;

/**
 * registry-svc's REST API as the other services and the command line use it: resolve {@code name@version|alias} with
 * its lineage, download a version's files verified against the card's sha256 (a mismatch is refused), and publish PEFT
 * files a trainer already wrote to the bucket. The calls themselves go through a {@link RegistryApi}: Quarkus REST
 * Client in the services ({@link RestRegistryApi}, traced and retried by SmallRye Fault Tolerance), the JDK's HTTP
 * client on the command line ({@link JdkRegistryApi}, the constructors that take a URL).
 */
public final class RegistryClient implements AdapterSource {
    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** A resolved version: its card, and its lineage from the root ancestor down to itself. */
    public record Resolved(String name, int version, AdapterCard card, List<AdapterCard> lineage) {}

    /**
     * The registry answered with an error status; {@code status}, the registry's own message and its Retry-After are
     * kept.
     */
    public static final class RegistryException extends RuntimeException implements Refusal {
        private final int status;
        private final boolean integrity;
        private final Duration retryAfter;

        public RegistryException(int status, String message) {
            this(status, message, false);
        }

        public RegistryException(int status, String message, boolean integrity) {
            this(status, message, integrity, null);
        }

        /** {@code retryAfter}: how long the registry asked callers to wait, null when it did not say. */
        public RegistryException(int status, String message, boolean integrity, Duration retryAfter) {
            super(message);
            this.status = status;
            this.integrity = integrity;
            this.retryAfter = retryAfter;
        }

        /**
         * The registry's error answer: the detail of its problem body (the shape before problems, or plain text, read
         * too), an integrity failure when the problem's reason is {@code integrity_error}, and its {@code Retry-After}
         * header (null when absent).
         */
        public static RegistryException of(int status, String body, String retryAfterHeader) {
            Problem refused = Problem.read(status, body);
            return new RegistryException(
                    status,
                    refused.message(),
                    "integrity_error".equals(refused.reason()),
                    RetryPolicy.retryAfter(retryAfterHeader).orElse(null));
        }

        @Override
        public int status() {
            return status;
        }

        /** The bytes did not match the sha256 the card recorded (the registry's 500 integrity_error, or ours). */
        public boolean integrityFailure() {
            return integrity;
        }

        @Override
        public Optional<Duration> retryAfter() {
            return Optional.ofNullable(retryAfter);
        }

        /** The same answer, its message saying what was asked ("publish of clinical: …"). */
        RegistryException about(String what) {
            RegistryException e = new RegistryException(status, what + ": " + getMessage(), integrity, retryAfter);
            e.setStackTrace(getStackTrace());
            return e;
        }
    }

    /** Attempts per call by default: 0.5 + 1 + 2 + 4 s of waiting, enough for a registry-svc restart. */
    public static final int DEFAULT_ATTEMPTS = 5;

    private final RegistryApi api;

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
        this(new JdkRegistryApi(
                baseUrl, bearerToken, new RetryPolicy(attempts, backoff, RetryPolicy.DEFAULT_LONGEST_WAIT)));
    }

    /** Over {@code api}, which sends and retries the calls (the services': {@link RestRegistryApi}). */
    public RegistryClient(RegistryApi api) {
        this.api = api;
    }

    /** A call to the registry whose refusal names what was asked. */
    @FunctionalInterface
    private interface Call<T> {
        T call() throws IOException;
    }

    private static <T> T asking(String what, Call<T> call) throws IOException {
        try {
            return call.call();
        } catch (RegistryException e) {
            throw e.about(what);
        }
    }

    @Override
    public Resolved resolve(AdapterRef ref) throws IOException {
        return resolve(ref.name(), ref.selector());
    }

    public Resolved resolve(String name, String versionOrAlias) throws IOException {
        JsonNode n = asking("resolve of " + name + "@" + versionOrAlias, () -> api.resolve(name, versionOrAlias));
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
            JsonNode n = asking("versions of " + name, () -> api.versions(name));
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
            InputStream body = asking(
                    "download of " + card.ref() + "/" + f.getKey(),
                    () -> api.file(card.name(), card.version(), f.getKey()));
            Path tmp = Files.createTempFile(dir, ".download", ".part");
            try {
                String got;
                try (InputStream in = body;
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
        Map<String, Object> body = Map.of("sourcePrefix", sourcePrefix, "card", card);
        JsonNode published = asking("publish of " + name, () -> api.publishFromStore(name, body));
        return JSON.treeToValue(published, AdapterCard.class);
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
        asking("alias " + name + "@" + alias, () -> {
            api.moveAlias(name, alias, body);
            return null;
        });
    }

    public void delete(String name, int version) throws IOException {
        try {
            asking("delete of " + name + "@" + version, () -> {
                api.delete(name, version);
                return null;
            });
        } catch (RegistryException e) {
            if (e.status() != 404) throw e;
        }
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
        String what = "push of model " + id;
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
        JsonNode state = asking(what, () -> api.declareModel(id, declaration));
        if ("stored".equals(state.path("status").asText())) return new ModelPush(true, List.of(), 0);
        long toSend = 0, sent = 0;
        for (JsonNode m : state.path("missing")) toSend += Files.size(dir.resolve(m.asText()));
        List<String> names = new ArrayList<>();
        for (JsonNode m : state.path("missing")) {
            String f = m.asText();
            asking(what + ", file " + f, () -> {
                api.uploadModelFile(id, f, dir.resolve(f).toFile());
                return null;
            });
            sent += Files.size(dir.resolve(f));
            names.add(f);
            if (progress != null) progress.accept(sent, toSend);
        }
        asking(what, () -> {
            api.completeModel(id);
            return null;
        });
        return new ModelPush(false, List.copyOf(names), sent);
    }

    public Optional<AdapterCard> card(String name, int version) throws IOException {
        try {
            JsonNode card = asking("card of " + name + "@" + version, () -> api.card(name, version));
            return Optional.of(JSON.treeToValue(card, AdapterCard.class));
        } catch (RegistryException e) {
            if (e.status() == 404) return Optional.empty();
            throw e;
        }
    }
}
