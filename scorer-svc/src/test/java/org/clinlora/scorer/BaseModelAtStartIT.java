package org.clinlora.scorer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.platform.process.ServiceProcess;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalKafka;
import org.clinlora.testing.LocalS3;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TestBucket;
import org.clinlora.testing.TestTopics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The built scorer jar started as Kubernetes starts it, with {@code CLINLORA_SCORER_BASE_MODEL} set: a model larger
 * than its memory limit ends the process at start with exit code 3 and one line; a model not in the store yet keeps it
 * alive but not ready (and not reading scores.requests) until it is pushed, then loaded.
 */
@ExtendWith({LocalS3.class, LocalKafka.class})
class BaseModelAtStartIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final String run = UUID.randomUUID().toString().substring(0, 8);
    final List<Process> started = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (Process p : started) {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
        }
    }

    @Test
    void aModelLargerThanTheMemoryLimitEndsTheScorerAtStartWithOneLineAndExitCode3() throws Exception {
        // A LLaMA-2-7B config (6.74 B parameters; no weights are read before the preflight refuses) under an 8 GiB
        // limit.
        String id = "it-7b-" + run;
        Path dir =
                Files.createDirectories(Files.createTempDirectory("scorer-it").resolve("m"));
        Files.writeString(
                dir.resolve("config.json"),
                "{\"model_type\":\"llama\",\"architectures\":[\"LlamaForCausalLM\"],\"vocab_size\":32000,"
                        + "\"hidden_size\":4096,\"intermediate_size\":11008,\"num_hidden_layers\":32,"
                        + "\"num_attention_heads\":32,\"num_key_value_heads\":32,\"rms_norm_eps\":1e-5,"
                        + "\"max_position_embeddings\":4096,\"tie_word_embeddings\":false}");
        new ModelStore(new ObjectStore(LocalInfra.s3Settings())).upload(id, dir);

        Path log = Path.of("target", "scorer-refusal-it-" + run + ".log").toAbsolutePath();
        Process p = start(id, Map.of("CLINLORA_MEMORY_LIMIT", "8G"), log);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the scorer did not exit; see " + log);
        String out = Files.readString(log);
        assertEquals(3, p.exitValue(), out);
        String line = "scorer-svc refuses to start: base model '" + id + "' (6.74 B parameters, fp32 on cpu) needs"
                + " about 27.9 GiB (weights 25.1 GiB + activations 1.3 GiB + runtime 1.5 GiB) but the memory limit"
                + " (CLINLORA_MEMORY_LIMIT) is 8.0 GiB; set CLINLORA_SCORER_PRECISION=fp16, raise"
                + " CLINLORA_MEMORY_LIMIT, or serve a smaller model";
        assertEquals(1, out.lines().filter(l -> l.contains(line)).count(), out);
        assertEquals(1, out.lines().filter(l -> l.contains("refuses to start")).count(), "printed once: " + out);
        assertTrue(out.lines().anyMatch(l -> l.contains(line) && l.contains("ERROR")), out);
    }

    @Test
    void aModelNotInTheStoreYetKeepsTheScorerAliveButNotReadyUntilItIsPushedAndLoaded() throws Exception {
        String id = "it-late-" + run, group = "scorer-it-" + run;
        Path log = Path.of("target", "scorer-late-model-it-" + run + ".log").toAbsolutePath();
        int port = ServiceProcess.freePort();
        start(
                id,
                Map.of(
                        "CLINLORA_SCORER_PORT",
                        String.valueOf(port),
                        "MP_MESSAGING_INCOMING_SCORES_REQUESTS_GROUP_ID",
                        group,
                        "MP_MESSAGING_INCOMING_SCORES_REQUESTS_AUTO_OFFSET_RESET",
                        "latest"),
                log);
        String url = LocalServices.url(port);
        await(() -> status(url + "/q/health/live") == 200, Duration.ofSeconds(40), log);
        await(() -> baseModel(url).path("data").path("state").asText().equals("waiting"), Duration.ofSeconds(10), log);
        JsonNode waiting = baseModel(url);
        assertEquals("DOWN", waiting.path("status").asText(), waiting.toString());
        assertEquals(id, waiting.path("data").path("model").asText());
        assertTrue(
                waiting.path("data").path("reason").asText().contains("not in the object store yet"),
                waiting.toString());
        assertEquals(503, status(url + "/q/health/ready"));
        assertEquals(503, status(url + "/q/health/started"));
        assertTrue(metrics(url).contains("clinlora_scorer_model_loaded 0.0"), metrics(url));
        assertEquals(0, members(group), "scores.requests is not read before the model is loaded");

        Path dir = Files.createTempDirectory("scorer-it");
        TinyLlama.write(dir.resolve("m"), new TinyLlama.Spec(700, 32, 1, 4, 2, 96, 256, false, 3));
        new ModelStore(new ObjectStore(LocalInfra.s3Settings())).upload(id, dir.resolve("m"));
        await(() -> status(url + "/q/health/ready") == 200, Duration.ofSeconds(45), log);
        assertEquals(200, status(url + "/q/health/started"));
        assertEquals("loaded", baseModel(url).path("data").path("state").asText());
        assertTrue(metrics(url).contains("clinlora_scorer_model_loaded 1.0"), metrics(url));
        await(() -> members(group) == 1, Duration.ofSeconds(30), log);
    }

    private Process start(String baseModel, Map<String, String> env, Path log) throws IOException {
        Path jar = LocalInfra.repoRoot().resolve("scorer-svc/target/quarkus-app/quarkus-run.jar");
        assertTrue(Files.isRegularFile(jar), jar + " is missing: the IT runs after package");
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Dai.djl.offline=true",
                        "-Xmx512m",
                        "-jar",
                        jar.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> e = new HashMap<>(TestAuth.env("scorer-svc"));
        e.put("CLINLORA_SCORER_PORT", String.valueOf(ServiceProcess.freePort()));
        e.put("CLINLORA_KAFKA_BOOTSTRAP", LocalInfra.KAFKA_BOOTSTRAP);
        e.put("CLINLORA_S3_ENDPOINT", LocalInfra.S3_ENDPOINT);
        e.put("CLINLORA_S3_BUCKET", TestBucket.current());
        e.put("CLINLORA_SCORER_BASE_MODEL", baseModel);
        e.put(
                "CLINLORA_SCORER_CACHE",
                Path.of("target", "scorer-it-cache").toAbsolutePath().toString());
        e.put(LocalServices.urlVariable("registry"), LocalServices.NOWHERE);
        e.putAll(TestTopics.env("scorer", env)); // never the user's scores.requests
        e.putAll(env);
        pb.environment().putAll(e);
        Process p = pb.start();
        started.add(p);
        return p;
    }

    private static JsonNode baseModel(String url) {
        try {
            HttpResponse<String> r = get(url + "/q/health/ready");
            for (JsonNode c : JSON.readTree(r.body()).path("checks"))
                if (c.path("name").asText().equals("base-model")) return c;
            return JSON.createObjectNode();
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    private static String metrics(String url) {
        return get(url + "/q/metrics").body();
    }

    private static int status(String url) {
        return get(url).statusCode();
    }

    private static HttpResponse<String> get(String url) {
        try {
            return HTTP.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("not answering yet: " + url, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Members of the consumer group (0 when it does not exist). */
    private static int members(String group) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, LocalInfra.KAFKA_BOOTSTRAP);
        try (Admin admin = Admin.create(p)) {
            return admin.describeConsumerGroups(List.of(group))
                    .all()
                    .get(10, TimeUnit.SECONDS)
                    .get(group)
                    .members()
                    .size();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) return 0; // nobody ever joined it
            throw new IllegalStateException("cannot describe consumer group " + group, e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot describe consumer group " + group, e);
        }
    }

    private static void await(BooleanSupplier condition, Duration within, Path log) throws Exception {
        long end = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < end) {
            try {
                if (condition.getAsBoolean()) return;
            } catch (IllegalStateException notYet) {
                // not answering yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("not within " + within.toSeconds() + " s; see " + log + "\n" + Files.readString(log));
    }
}
