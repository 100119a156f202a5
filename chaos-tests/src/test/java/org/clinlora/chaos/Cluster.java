package org.clinlora.chaos;

import static io.restassured.RestAssured.given;

import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestAdapters;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TestBucket;

/**
 * The services of one chaos test, each a process started from its jar (as {@code ./clinlora services up} does) on a
 * port of its own, over the real local Kafka broker and S3Proxy; killed with SIGKILL and restarted on the same port
 * (the same replica: the same lease owner id) as a test needs. The services share a bucket of the chaos run's own
 * ({@link TestBucket}) and consumer groups of its own. Everything it started stops on {@link #close}, and the bucket is
 * removed.
 */
final class Cluster implements AutoCloseable {
    /** A running service: which one, where, with what environment, and its log. */
    static final class Service {
        final String svc;
        final int port;
        final Map<String, String> env;
        final Path log;
        Process process;

        Service(String svc, int port, Map<String, String> env, Path log) {
            this.svc = svc;
            this.port = port;
            this.env = env;
            this.log = log;
        }

        String url() {
            return LocalServices.url(port);
        }

        String logText() throws IOException {
            return Files.readString(log);
        }
    }

    final String run = UUID.randomUUID().toString().substring(0, 8);
    final List<Service> services = Collections.synchronizedList(new ArrayList<>());
    final String bucket;
    final ObjectStore store;
    final Path dir;

    Cluster() throws IOException {
        LocalInfra.startIfDown("kafka", LocalInfra.KAFKA_PORT);
        LocalInfra.startIfDown("s3", LocalInfra.S3_PORT);
        TestAuth.installRestAssuredDefault();
        bucket = TestBucket.open();
        store = new ObjectStore(LocalInfra.s3Settings(bucket));
        dir = Files.createTempDirectory("chaos-" + run);
    }

    /** Starts {@code <svc>-svc} on a free port; {@code env} adds to the defaults (its callers' URLs among them). */
    Service start(String svc, Map<String, String> env) {
        return launch(service(svc, LocalServices.freePort(), env));
    }

    /** One service to start and its environment, for {@link #startTogether}. */
    record Launch(String svc, Map<String, String> env) {}

    /**
     * Starts the services at once, returned in the order asked when every one is ready: none needs another to become
     * ready, so they boot side by side (faster on two cores than one after another). Ports and settings are chosen
     * first, one after another; only the processes start in parallel, each told the others' URLs
     * ({@code CLINLORA_<SVC>_URL}) unless its own environment names one. Each one started is stopped on {@link #close},
     * also when another failed. Not for replicas of one service: they share consumer groups, which a start positions.
     */
    List<Service> startTogether(Launch... launches) {
        List<Integer> ports = LocalServices.freePorts(launches.length);
        Map<String, String> urls = new HashMap<>();
        for (int i = 0; i < launches.length; i++)
            urls.put(LocalServices.urlVariable(launches[i].svc()), LocalServices.url(ports.get(i)));
        List<Callable<Service>> starts = new ArrayList<>();
        for (int i = 0; i < launches.length; i++) {
            Map<String, String> env = new HashMap<>(urls);
            env.remove(LocalServices.urlVariable(launches[i].svc()));
            env.putAll(launches[i].env());
            Service s = service(launches[i].svc(), ports.get(i), env);
            starts.add(() -> launch(s));
        }
        return LocalServices.together(starts);
    }

    private Service service(String svc, int port, Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("CLINLORA_S3_BUCKET", bucket);
        // The chaos tests load a service from one subject as hard as it answers: rate limits off, unless a test
        // (RateLimitIT) sets them.
        all.putIfAbsent("CLINLORA_LIMITS_ENABLED", "false");
        all.putIfAbsent(
                "CLINLORA_TRAINER_CACHE",
                dir.resolve("cache-" + svc + "-" + port).toString());
        all.putIfAbsent(
                "CLINLORA_SCORER_CACHE",
                dir.resolve("cache-" + svc + "-" + port).toString());
        return new Service(
                svc,
                port,
                all,
                Path.of("target", "chaos", svc + "-svc-" + port + ".log").toAbsolutePath());
    }

    private Service launch(Service s) {
        s.process = LocalServices.launch(s.svc, s.port, s.env, s.log);
        services.add(s);
        return s;
    }

    /** SIGKILL: no shutdown hook, no clean-up, as a node failure or the OOM killer would stop it. */
    void kill(Service s) throws InterruptedException {
        s.process.destroyForcibly();
        if (!s.process.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException(s.svc + " did not die");
    }

    /** Starts the same replica again: same port, same environment; returns when it is ready. */
    void restart(Service s) {
        s.process = LocalServices.launch(s.svc, s.port, s.env, s.log);
    }

    static Map<String, String> urls(Service... callees) {
        Map<String, String> env = new HashMap<>();
        for (Service c : callees) env.put(LocalServices.urlVariable(c.svc), c.url());
        return env;
    }

    /** A tiny LLaMA written here and stored as base model {@code id} (what {@code ./clinlora models push} leaves). */
    LlamaConfig baseModel(String id) throws IOException {
        LlamaConfig base = TinyLlama.write(
                dir.resolve(id),
                new TinyLlama.Spec(2000, 64, 2, 4, 2, TinyLlama.Spec.defaultIntermediate(64), 512, false, 8));
        new ModelStore(store).upload(id, dir.resolve(id));
        return base;
    }

    /** Stages a random SEQ_CLS adapter for {@code base} in the bucket; returns its prefix. */
    String stageAdapter(LlamaConfig base, String local, List<String> labels, long seed) throws IOException {
        return stage(
                base,
                local,
                new LoraConfig("SEQ_CLS", 4, 8, 0.1, List.of("q_proj", "v_proj"), List.of("score"), false, null),
                labels.size(),
                seed);
    }

    /** Stages a random adapter of any kind (a CAUSAL_LM Clinical LoRA has no labels); returns its prefix. */
    String stage(LlamaConfig base, String local, LoraConfig config, int labels, long seed) throws IOException {
        Path d = TestAdapters.write(dir.resolve(local), config, base, labels, seed);
        String prefix = "chaos-staging/" + run + "/" + local + "/";
        try (var files = Files.list(d)) {
            for (Path f : files.toList()) store.put(prefix + f.getFileName(), f, Map.of());
        }
        return prefix;
    }

    static PublishRequest card(String task, String baseModel, List<String> labels, String jobId) {
        return PublishRequest.of(task, baseModel)
                .withLabels(labels, null, null)
                .withTraining(null, Map.of("problemType", "single_label_classification", "jobId", jobId), null);
    }

    AdapterCard publish(
            Service registry, LlamaConfig base, String baseModel, String name, List<String> labels, long seed)
            throws IOException {
        String prefix = stageAdapter(base, name + "-" + seed, labels, seed);
        return new RegistryClient(registry.url(), TestAuth::allRoles)
                .publishFromStore(name, prefix, card(name, baseModel, labels, "seed-" + seed));
    }

    /**
     * A causal-LM dataset of {@code notes} synthetic discharge summaries, built by {@code tokenizer}; returns its id.
     */
    String notesDataset(Service tokenizer, String model, String id, int notes) throws Exception {
        Path dir = this.dir.resolve("notes-" + id);
        new SyntheticCorpus(new SyntheticCorpus.Settings(120, 0.9, 5)).writeNotes(dir, notes, 0);
        String key = "chaos/" + run + "/" + id + ".csv.gz";
        store.put(key, dir.resolve("discharge.csv.gz"), Map.of());
        given().contentType("application/json")
                .body(Map.of(
                        "datasetId", id, "model", model, "kind", "causal_lm", "sources", List.of(key), "seqLen", 64))
                .post(tokenizer.url() + "/v1/datasets")
                .then()
                .statusCode(202);
        JsonPath j = await(tokenizer.url() + "/v1/datasets/" + id, List.of("ready", "failed"), Duration.ofMinutes(2));
        if (!"ready".equals(j.getString("status")))
            throw new AssertionError("dataset " + id + " failed: " + j.prettify());
        return id;
    }

    static JsonPath await(String url, List<String> done, Duration within) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        JsonPath last = null;
        while (System.nanoTime() < end) {
            last = given().get(url).then().extract().jsonPath();
            if (done.contains(last.getString("status"))) return last;
            Thread.sleep(300);
        }
        throw new AssertionError(url + " did not finish in " + within.toSeconds() + " s; last: "
                + (last == null ? null : last.prettify()));
    }

    static void awaitTrue(String what, Duration within, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) return;
            Thread.sleep(100);
        }
        throw new AssertionError(what + ": not within " + within.toSeconds() + " s");
    }

    /** Readiness (open, no token): 200 when every required dependency answers, 503 while one does not. */
    static int readiness(Service s) {
        try {
            return given().get(s.url() + "/q/health/ready").statusCode();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        // SIGTERM to every service first, then wait for each: their shutdowns overlap.
        for (Service s : services) if (s.process != null) s.process.destroy();
        for (Service s : services) {
            if (s.process == null) continue;
            try {
                if (!s.process.waitFor(30, TimeUnit.SECONDS)) s.process.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        TestBucket.close(bucket);
    }
}
