package org.clinlora.cli.bench;

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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.clinlora.cli.client.CliAuth;
import org.clinlora.cli.client.Refusals;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.platform.process.ServiceProcess;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench score}: a running scorer (started here from its jar, with a registry-svc beside it, unless --url is
 * given) measured from outside: sequences/s and p50/p99 latency of POST /v1/score at several concurrencies, with one
 * adapter and with many distinct adapters in the mix, and the scorer's resident memory per extra adapter.
 */
@Command(
        name = "score",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description =
                "POST /v1/score measured from outside: sequences/s and p50/p99 latency per concurrency, memory per adapter.",
        footer = {
            "Starts registry-svc and scorer-svc from their jars (needs ./clinlora infra up), publishes --adapters SEQ_CLS",
            "adapters for a base model (default: the tiny comparison shapes) and loads the scorer with 1 and with all of them.",
            "All of it in a new bench-<id> bucket, removed at the end (--keep keeps it; --bucket NAME uses an existing one)."
        })
final class BenchScoreCommand extends CliCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", paramLabel = "DIR", description = "the base model (default: a random tiny one)")
    String modelArg;

    @Mixin
    BenchBucket bucket;

    @Option(
            names = "--adapters",
            defaultValue = "20",
            description = "distinct task adapters (default ${DEFAULT-VALUE})")
    int adapters;

    @Option(
            names = "--clients",
            defaultValue = "1,8,32",
            split = ",",
            description = "concurrencies (default ${DEFAULT-VALUE})")
    int[] clients;

    @Option(
            names = "--requests-per-client",
            defaultValue = "8",
            description = "requests per client (default ${DEFAULT-VALUE})")
    int perClient;

    @Option(
            names = "--min-requests",
            defaultValue = "64",
            description = "at least this many requests per row (default ${DEFAULT-VALUE})")
    int minRequests;

    /** The scorer under measurement: its URL and process (for its resident memory). */
    private record Scorer(String url, long pid) {}

    @Override
    protected void execute() throws Exception {
        atLeast("--adapters", adapters, 1);
        atLeast("--requests-per-client", perClient, 1);
        atLeast("--min-requests", minRequests, 1);
        for (int c : clients) atLeast("--clients", c, 1);
        try (BenchBucket.InUse b = bucket.open()) {
            benchIn(b);
        }
    }

    private void benchIn(BenchBucket.InUse b) throws Exception {
        ObjectStore store = b.store();
        Path work = Files.createTempDirectory("clinlora-bench-score");
        Path modelDir = modelArg != null ? Path.of(modelArg) : work.resolve("m");
        LlamaConfig base = modelArg != null
                ? LlamaConfig.fromJson(
                        JSON.readTree(modelDir.resolve("config.json").toFile()))
                : TinyLlama.write(
                        modelDir, new TinyLlama.Spec(32000, 256, 4, 4, 4, 688, 512, false, 0)); // the peer's tiny
        String run = UUID.randomUUID().toString().substring(0, 6);
        String modelId = "bench-score-" + run;
        new ModelStore(store).upload(modelId, modelDir);

        List<ServiceProcess> started = new ArrayList<>();
        try {
            started.add(ServiceJars.start("registry", b, Map.of()));
            String registryUrl = started.get(0).url();
            started.add(ServiceJars.start(
                    "scorer",
                    b,
                    Map.of(
                            "CLINLORA_REGISTRY_URL",
                            registryUrl,
                            "CLINLORA_SCORER_BASE_MODEL",
                            modelId,
                            "CLINLORA_SCORER_CACHE",
                            work.resolve("cache").toString())));
            Scorer scorer =
                    new Scorer(started.get(1).url(), started.get(1).process().pid());
            RegistryClient registry = new RegistryClient(registryUrl, CliAuth::token);
            List<String> tasks = publishTasks(store, registry, work, base, run, modelId);
            measure(scorer, base, modelId, tasks);
        } finally {
            for (int i = started.size() - 1; i >= 0; i--) started.get(i).close();
            PeftAdapterDir.deleteTree(work);
        }
    }

    /** {@code --adapters} task adapters published at version 1; their refs. */
    private List<String> publishTasks(
            ObjectStore store, RegistryClient registry, Path work, LlamaConfig base, String run, String modelId)
            throws IOException {
        List<String> tasks = new ArrayList<>();
        for (int i = 0; i < adapters; i++) {
            Path d = TaskAdapters.write(work.resolve("a" + i), TaskAdapters.CONFIG, base, i);
            String prefix = "bench/" + run + "/a" + i + "/";
            TaskAdapters.stage(store, d, prefix);
            String name = "bench-task-" + run + "-" + i;
            TaskAdapters.publish(registry, name, prefix, modelId);
            tasks.add(name + "@1");
        }
        return tasks;
    }

    /** The scorer's memory with one adapter and with all, then the table of loads. */
    private void measure(Scorer scorer, LlamaConfig base, String modelId, List<String> tasks) throws Exception {
        LoraConfig cfg = TaskAdapters.CONFIG;
        List<String> notes = TaskAdapters.notesToScore();
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        score(http, scorer.url(), tasks.get(0), notes.get(0)); // base model + first adapter
        long rss1 = rssKiB(scorer.pid());
        for (String t : tasks) score(http, scorer.url(), t, notes.get(0));
        long rssAll = rssKiB(scorer.pid());

        System.out.printf(
                "clinlora bench score: scorer %s (pid %d), base %s (vocab %d, d%d, L%d), LoRA r=%d q/v + score head (2 labels), "
                        + "1 note per request (synthetic admission notes, <= 128 tokens)%n",
                scorer.url(),
                scorer.pid(),
                modelId,
                base.vocabSize(),
                base.hiddenSize(),
                base.numHiddenLayers(),
                cfg.r());
        printLoads(http, scorer.url(), tasks, notes);
        System.out.printf(
                "RESULT scorer resident memory: %.1f MiB with 1 adapter, %.1f MiB with %d: %.2f MiB per extra adapter "
                        + "(adapter tensors %.2f MiB each in fp32)%n",
                rss1 / 1024.0,
                rssAll / 1024.0,
                adapters,
                adapters > 1 ? (rssAll - rss1) / 1024.0 / (adapters - 1) : 0.0,
                adapterBytes(cfg, base) / 1048576.0);
    }

    /** A row per mix of adapters (one, then all) and concurrency. */
    private void printLoads(HttpClient http, String url, List<String> tasks, List<String> notes) throws Exception {
        System.out.println("| distinct adapters | clients | requests | sequences/s | p50 ms | p99 ms | failed |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (int mix : adapters > 1 ? new int[] {1, adapters} : new int[] {1}) {
            for (int c : clients) {
                int total = Math.max(minRequests, c * perClient);
                double[] r = load(http, url, tasks.subList(0, mix), notes, c, total);
                System.out.printf(
                        "RESULT | %d | %d | %d | %.1f | %.1f | %.1f | %d |%n",
                        mix, c, total, r[0], r[1], r[2], (long) r[3]);
            }
        }
    }

    /** Runs {@code total} requests from {@code clients} threads; returns {sequences/s, p50 ms, p99 ms, failed}. */
    private static double[] load(
            HttpClient http, String url, List<String> tasks, List<String> notes, int clients, int total)
            throws Exception {
        AtomicInteger next = new AtomicInteger(), failed = new AtomicInteger();
        double[] latency = new double[total];
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            fs.add(pool.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < total; ) {
                    long s = System.nanoTime();
                    try {
                        score(http, url, tasks.get(i % tasks.size()), notes.get(i % notes.size()));
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                    latency[i] = (System.nanoTime() - s) / 1e6;
                }
                return null;
            }));
        }
        for (Future<?> f : fs) f.get();
        double wall = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        double[] sorted = latency.clone();
        Arrays.sort(sorted);
        return new double[] {
            total / wall,
            sorted[(int) Math.floor(0.5 * (total - 1))],
            sorted[(int) Math.ceil(0.99 * (total - 1))],
            failed.get()
        };
    }

    private static void score(HttpClient http, String url, String task, String note)
            throws IOException, InterruptedException {
        byte[] body = JSON.writeValueAsBytes(Map.of("task", task, "notes", List.of(note)));
        HttpResponse<String> r = http.send(
                CliAuth.request(URI.create(url + "/v1/score"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200)
            throw new IllegalStateException(
                    "score answered " + r.statusCode() + ": " + Refusals.describe(r.statusCode(), r.body()));
    }

    private static long rssKiB(long pid) throws IOException {
        return Math.max(0, ProcStatus.kib(Long.toString(pid), "VmRSS"));
    }

    private static long adapterBytes(LoraConfig cfg, LlamaConfig base) {
        long n = 2L * base.hiddenSize();
        for (long[] s : cfg.expectedShapes(base).values()) n += s[0] * s[1];
        return 4 * n;
    }
}
