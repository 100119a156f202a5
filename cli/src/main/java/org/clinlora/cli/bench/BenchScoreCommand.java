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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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

    @Option(
            names = "--distribution",
            defaultValue = "cyclic",
            split = ",",
            description = "how the requests of the many-adapter rows pick their adapter: cyclic (in turn), uniform "
                    + "(at random) or zipf (rank k with weight 1/k^s, ranks shuffled over the adapters); one row each "
                    + "(default ${DEFAULT-VALUE})")
    List<String> distributions;

    @Option(names = "--zipf-s", defaultValue = "1.0", description = "Zipf exponent s (default ${DEFAULT-VALUE})")
    double zipfS;

    @Option(
            names = "--clinical",
            description = "stack every task adapter on one Clinical LoRA (r 16, alpha 32, q/v), as the paper's are")
    boolean clinical;

    @Option(
            names = "--adapter-cache-mb",
            paramLabel = "MIB",
            description = "the scorer's adapter memory budget (default: the scorer's own, 512 MiB)")
    Long adapterCacheMb;

    @Option(
            names = "--warm",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "score once with every adapter before the rows, so all start resident (default on; "
                    + "--no-warm measures cold loads in the rows)")
    boolean warm;

    @Option(names = "--publishers", defaultValue = "4", description = "parallel publishes in setup (default 4)")
    int publishers;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the random distributions (default 1)")
    long seed;

    /** The scorer under measurement: its URL and process (for its resident memory). */
    private record Scorer(String url, long pid) {}

    @Override
    protected void execute() throws Exception {
        atLeast("--adapters", adapters, 1);
        atLeast("--requests-per-client", perClient, 1);
        atLeast("--min-requests", minRequests, 1);
        for (int c : clients) atLeast("--clients", c, 1);
        atLeast("--publishers", publishers, 1);
        for (String d : distributions)
            if (!List.of("cyclic", "uniform", "zipf").contains(d))
                throw new IllegalArgumentException("--distribution takes cyclic, uniform or zipf, got '" + d + "'");
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
            Map<String, String> scorerEnv = new HashMap<>(Map.of(
                    "CLINLORA_REGISTRY_URL",
                    registryUrl,
                    "CLINLORA_SCORER_BASE_MODEL",
                    modelId,
                    "CLINLORA_SCORER_CACHE",
                    work.resolve("cache").toString()));
            if (adapterCacheMb != null) scorerEnv.put("CLINLORA_SCORER_ADAPTER_CACHE_MB", adapterCacheMb.toString());
            started.add(ServiceJars.start("scorer", b, scorerEnv));
            Scorer scorer =
                    new Scorer(started.get(1).url(), started.get(1).process().pid());
            RegistryClient registry = new RegistryClient(registryUrl, CliAuth::token);
            List<String> tasks = publishTasks(store, registry, work, base, run, modelId);
            Map<Integer, double[]> oneAdapter = measure(scorer, base, modelId, tasks);
            compareWithBare(modelDir, work, base, oneAdapter);
        } finally {
            for (int i = started.size() - 1; i >= 0; i--) started.get(i).close();
            PeftAdapterDir.deleteTree(work);
        }
    }

    /**
     * {@code --adapters} task adapters published at version 1 through the registry's API, {@code --publishers} at a
     * time (each on one Clinical LoRA with {@code --clinical}); their refs. Prints how long the setup took.
     */
    private List<String> publishTasks(
            ObjectStore store, RegistryClient registry, Path work, LlamaConfig base, String run, String modelId)
            throws Exception {
        long t0 = System.nanoTime();
        String parent = null;
        if (clinical) {
            Path d = TaskAdapters.write(work.resolve("clinical"), TaskAdapters.CLINICAL, base, -1);
            String prefix = "bench/" + run + "/clinical/";
            TaskAdapters.stage(store, d, prefix);
            parent = TaskAdapters.publishClinical(registry, "bench-clinical-" + run, prefix, modelId)
                    .ref();
        }
        String[] tasks = new String[adapters];
        ExecutorService pool = Executors.newFixedThreadPool(publishers);
        try {
            List<Future<?>> fs = new ArrayList<>();
            String stackOn = parent;
            for (int i = 0; i < adapters; i++) {
                int n = i;
                fs.add(pool.submit(() -> {
                    Path d = TaskAdapters.write(work.resolve("a" + n), TaskAdapters.CONFIG, base, n);
                    String prefix = "bench/" + run + "/a" + n + "/";
                    TaskAdapters.stage(store, d, prefix);
                    String name = "bench-task-" + run + "-" + n;
                    TaskAdapters.publish(registry, name, prefix, modelId, stackOn);
                    PeftAdapterDir.deleteTree(d);
                    tasks[n] = name + "@1";
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdownNow();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
                "RESULT setup: %d task adapters%s written, staged and published through registry-svc in %.1f s (%.1f/s, %d at a time)%n",
                adapters, clinical ? " (each on one Clinical LoRA)" : "", s, adapters / s, publishers);
        return List.of(tasks);
    }

    /**
     * The one-adapter rows beside the bare forward of the same model, adapter stack and notes in this JVM (the services
     * idle meanwhile): the most clients' throughput against full batches of the scorer's max-batch-rows, and one
     * client's p50 against one single-row forward.
     */
    private void compareWithBare(Path modelDir, Path work, LlamaConfig base, Map<Integer, double[]> oneAdapter)
            throws IOException {
        List<String> stack = new ArrayList<>();
        if (clinical) stack.add(work.resolve("clinical").toString());
        stack.add(TaskAdapters.write(work.resolve("bare-a0"), TaskAdapters.CONFIG, base, 0)
                .toString());
        BareForward.Figures bare = BareForward.measure(modelDir, stack, TaskAdapters.notesToScore(), SCORER_BATCH, 20);
        int most = Arrays.stream(clients).max().orElseThrow();
        System.out.printf(
                "RESULT bare forward (this JVM, same base, adapter stack and notes; no HTTP, JSON, queue or tokenizer):"
                        + " batches of %d rows %.1f sequences/s; one row %.1f ms%n",
                bare.batchRows(), bare.rowsPerSecond(), 1000 * bare.oneRowSeconds());
        System.out.printf(
                "RESULT service vs bare: %d clients %.1f sequences/s = %.2fx the batched forward",
                most, oneAdapter.get(most)[0], oneAdapter.get(most)[0] / bare.rowsPerSecond());
        if (oneAdapter.containsKey(1))
            System.out.printf(
                    "; 1 client p50 %.1f ms = %.2fx one row's forward",
                    oneAdapter.get(1)[1], oneAdapter.get(1)[1] / 1000 / bare.oneRowSeconds());
        System.out.println();
    }

    /**
     * Scores every adapter once, in two halves; between them and after, the scorer's settled RSS and resident count
     * give the marginal memory of one more resident adapter (the slope, free of what the process holds whatever the
     * count: code, heap, thread arenas), printed against its tensor bytes.
     */
    private void warmUp(HttpClient http, Scorer scorer, List<String> tasks, String note) throws Exception {
        List<List<String>> halves = warmUpHalves(tasks);
        if (halves.size() == 1) { // one adapter: scored already, and no slope to take
            load(http, scorer.url(), tasks, List.of(note), cyclic(tasks.size(), tasks.size()), 8);
            return;
        }
        List<String> first = halves.get(0), second = halves.get(1);
        load(http, scorer.url(), first, List.of(note), cyclic(first.size(), first.size()), 8);
        long rssHalf = settledRssKiB(scorer.pid());
        Map<String, Double> m1 = ScorerMetricsText.read(http, scorer.url());
        load(http, scorer.url(), second, List.of(note), cyclic(second.size(), second.size()), 8);
        long rssAll = settledRssKiB(scorer.pid());
        Map<String, Double> m2 = ScorerMetricsText.read(http, scorer.url());
        double added = delta(m1, m2, "clinlora_scorer_adapters_resident"),
                tensorBytes = delta(m1, m2, "clinlora_scorer_adapters_resident_bytes");
        // A budget that evicted meanwhile: the freed tensors blur the slope, so none is printed.
        if (added < 1 || tensorBytes <= 0 || delta(m1, m2, "clinlora_scorer_adapters_cache_evictions_total") > 0)
            return;
        System.out.printf(
                "RESULT marginal memory: %.0f more resident adapters added %.1f MiB of RSS (after a full GC each time),"
                        + " %.3f MiB each against %.3f MiB of tensors (%.2fx)%n",
                added,
                (rssAll - rssHalf) / 1024.0,
                (rssAll - rssHalf) / 1024.0 / added,
                tensorBytes / added / 1048576.0,
                (rssAll - rssHalf) * 1024.0 / tensorBytes);
    }

    /** The warm-up's two halves of the adapters, neither empty; a single adapter is one group (it has no halves). */
    static List<List<String>> warmUpHalves(List<String> tasks) {
        int half = tasks.size() / 2;
        return half == 0 ? List.of(tasks) : List.of(tasks.subList(0, half), tasks.subList(half, tasks.size()));
    }

    /** scorer-svc's default clinlora.scorer.max-batch-rows: the batch the bare forward is timed at. */
    private static final int SCORER_BATCH = 32;

    /** The scorer's memory with one adapter and with all, then the table of loads; returns the one-adapter rows. */
    private Map<Integer, double[]> measure(Scorer scorer, LlamaConfig base, String modelId, List<String> tasks)
            throws Exception {
        LoraConfig cfg = TaskAdapters.CONFIG;
        List<String> notes = TaskAdapters.notesToScore();
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        score(http, scorer.url(), tasks.get(0), notes.get(0)); // base model + first adapter
        long rss1 = settledRssKiB(scorer.pid());
        long warmed = 0;
        if (warm) {
            long t0 = System.nanoTime();
            warmUp(http, scorer, tasks, notes.get(0));
            warmed = System.nanoTime() - t0;
        }
        long rssAll = settledRssKiB(scorer.pid());
        Map<String, Double> metrics = ScorerMetricsText.read(http, scorer.url());

        System.out.printf(
                "clinlora bench score: scorer %s (pid %d), base %s (vocab %d, d%d, L%d), LoRA r=%d q/v + score head (2 labels)%s, "
                        + "1 note per request (synthetic admission notes, <= 128 tokens); adapter budget %s%n",
                scorer.url(),
                scorer.pid(),
                modelId,
                base.vocabSize(),
                base.hiddenSize(),
                base.numHiddenLayers(),
                cfg.r(),
                clinical ? " on one Clinical LoRA" : "",
                adapterCacheMb == null ? "the scorer's default" : adapterCacheMb + " MiB");
        if (warm)
            System.out.printf(
                    "RESULT warm-up: every adapter scored once in %.1f s (8 clients); resident now %.0f (%.1f MiB of tensors)%n",
                    warmed / 1e9,
                    metrics.getOrDefault("clinlora_scorer_adapters_resident", 0.0),
                    metrics.getOrDefault("clinlora_scorer_adapters_resident_bytes", 0.0) / 1048576.0);
        Map<Integer, double[]> oneAdapter = printLoads(http, scorer.url(), scorer.pid(), tasks, notes);
        Map<String, Double> after = ScorerMetricsText.read(http, scorer.url());
        double resident = metrics.getOrDefault("clinlora_scorer_adapters_resident", 0.0);
        double tensorBytes = metrics.getOrDefault("clinlora_scorer_adapters_resident_bytes", 0.0);
        System.out.printf(
                "RESULT scorer resident memory (after a full GC each time): %.1f MiB with 1 adapter, %.1f MiB after the warm-up with %.0f resident: "
                        + "%.3f MiB per extra resident adapter against %.3f MiB of its tensors (%.2fx)%n",
                rss1 / 1024.0,
                rssAll / 1024.0,
                resident,
                resident > 1 ? (rssAll - rss1) / 1024.0 / (resident - 1) : 0.0,
                resident > 0 ? tensorBytes / resident / 1048576.0 : adapterBytes(cfg, base) / 1048576.0,
                resident > 1 && tensorBytes > 0
                        ? (rssAll - rss1) * 1024.0 / (resident - 1) / (tensorBytes / resident)
                        : 0.0);
        printCache(after);
        return oneAdapter;
    }

    /** The adapter cache's counters and cold-load quantiles as scorer-svc's metrics give them. */
    private static void printCache(Map<String, Double> after) {
        System.out.printf(
                "RESULT adapter cache: %.0f loads, %.0f evictions, %.0f hits; cold load p50 %.1f ms, p99 %.1f ms "
                        + "(download or local copy, sha256 check and read; scorer-svc's clinlora.scorer.adapters.load); "
                        + "resident at the end %.0f (%.1f MiB of tensors)%n",
                after.getOrDefault("clinlora_scorer_adapters_cache_loads_total", 0.0),
                after.getOrDefault("clinlora_scorer_adapters_cache_evictions_total", 0.0),
                after.getOrDefault("clinlora_scorer_adapters_cache_hits_total", 0.0),
                1000 * after.getOrDefault("clinlora_scorer_adapters_load_seconds{quantile=\"0.5\"}", Double.NaN),
                1000 * after.getOrDefault("clinlora_scorer_adapters_load_seconds{quantile=\"0.99\"}", Double.NaN),
                after.getOrDefault("clinlora_scorer_adapters_resident", 0.0),
                after.getOrDefault("clinlora_scorer_adapters_resident_bytes", 0.0) / 1048576.0);
    }

    /**
     * A row per mix of adapters (one; then all, once per {@code --distribution}) and concurrency, each many-adapter row
     * with its throughput against the one-adapter row of the same concurrency.
     */
    private Map<Integer, double[]> printLoads(
            HttpClient http, String url, long scorerPid, List<String> tasks, List<String> notes) throws Exception {
        System.out.println(
                "| distinct adapters | distribution | clients | requests | sequences/s | vs 1 adapter | p50 ms | p99 ms | failed |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        Map<Integer, double[]> one = new HashMap<>();
        List<String> modelThread = new ArrayList<>();
        for (int c : clients) {
            int total = Math.max(minRequests, c * perClient);
            Map<String, Double> before = ScorerMetricsText.read(http, url);
            double scorerCpu = ProcStatus.cpuSeconds(Long.toString(scorerPid)),
                    benchCpu = ProcStatus.cpuSeconds("self");
            double[] r = load(http, url, tasks.subList(0, 1), notes, cyclic(total, 1), c);
            scorerCpu = ProcStatus.cpuSeconds(Long.toString(scorerPid)) - scorerCpu;
            benchCpu = ProcStatus.cpuSeconds("self") - benchCpu;
            one.put(c, r);
            System.out.printf(
                    "RESULT | 1 | - | %d | %d | %.1f | 1 | %.1f | %.1f | %d |%n",
                    c, total, r[0], r[1], r[2], (long) r[3]);
            modelThread.add(modelThreadLine(c, total / r[0], before, ScorerMetricsText.read(http, url))
                    + String.format(
                            "; CPU seconds per wall second: scorer-svc %.2f, this bench's clients %.2f (of %d cores)",
                            scorerCpu * r[0] / total,
                            benchCpu * r[0] / total,
                            Runtime.getRuntime().availableProcessors()));
        }
        modelThread.forEach(System.out::println);
        if (adapters == 1) return one;
        for (String d : distributions) {
            for (int c : clients) {
                int total = Math.max(minRequests, c * perClient);
                double[] r = load(http, url, tasks, notes, picks(d, total, tasks.size()), c);
                System.out.printf(
                        "RESULT | %d | %s | %d | %d | %.1f | %.2f | %.1f | %.1f | %d |%n",
                        tasks.size(), d, c, total, r[0], r[0] / one.get(c)[0], r[1], r[2], (long) r[3]);
            }
        }
        return one;
    }

    /**
     * Where a row's time went, from scorer-svc's own metrics over one load: the share of the wall its model thread
     * spent in forwards, the mean batch, and the forward's time per row.
     */
    private static String modelThreadLine(int clients, double wall, Map<String, Double> a, Map<String, Double> b) {
        double forward = delta(a, b, "clinlora_scorer_batch_forward_seconds_sum"),
                batches = delta(a, b, "clinlora_scorer_batch_forward_seconds_count"),
                rows = delta(a, b, "clinlora_scorer_batch_rows_sum");
        return String.format(
                "RESULT model thread, %d clients: in forwards %.0f%% of the wall, %.0f batches of %.1f rows on average,"
                        + " %.2f ms of forward per row (scorer-svc's clinlora.scorer.batch.forward and .rows)",
                clients,
                100 * forward / wall,
                batches,
                rows / Math.max(1, batches),
                1000 * forward / Math.max(1, rows));
    }

    private static double delta(Map<String, Double> a, Map<String, Double> b, String name) {
        return b.getOrDefault(name, 0.0) - a.getOrDefault(name, 0.0);
    }

    /** Request i's adapter, for {@code total} requests over {@code n} adapters by {@code distribution}. */
    private int[] picks(String distribution, int total, int n) {
        return switch (distribution) {
            case "uniform" -> new SplittableRandom(seed).ints(total, 0, n).toArray();
            case "zipf" -> zipf(total, n, zipfS, seed);
            default -> cyclic(total, n);
        };
    }

    static int[] cyclic(int total, int n) {
        int[] p = new int[total];
        for (int i = 0; i < total; i++) p[i] = i % n;
        return p;
    }

    /** Ranks drawn with weight 1/k^s, each rank mapped to an adapter by a seeded shuffle (the hot set is random). */
    static int[] zipf(int total, int n, double s, long seed) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) cdf[k] = sum += 1 / Math.pow(k + 1, s);
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] adapterOfRank = new int[n];
        for (int i = 0; i < n; i++) adapterOfRank[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = adapterOfRank[i];
            adapterOfRank[i] = adapterOfRank[j];
            adapterOfRank[j] = t;
        }
        int[] p = new int[total];
        for (int i = 0; i < total; i++) {
            int k = Arrays.binarySearch(cdf, rnd.nextDouble() * sum);
            p[i] = adapterOfRank[Math.min(n - 1, k < 0 ? -k - 1 : k)];
        }
        return p;
    }

    /**
     * Runs one request per entry of {@code picks} (the adapter of each) from {@code clients} threads; returns
     * {sequences/s, p50 ms, p99 ms, failed}.
     */
    private static double[] load(
            HttpClient http, String url, List<String> tasks, List<String> notes, int[] picks, int clients)
            throws Exception {
        int total = picks.length;
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
                        score(http, url, tasks.get(picks[i]), notes.get(i % notes.size()));
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

    /**
     * The scorer's VmRSS after a full collection of its heap ({@code jcmd PID GC.run}, which also gives committed heap
     * back), so the difference of two readings is what the adapters hold, not how far the heap had grown meanwhile.
     */
    private static long settledRssKiB(long pid) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (Files.isExecutable(jcmd)) {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) return rssKiB(pid);
            p.destroyForcibly();
        }
        System.out.println("note: jcmd GC.run did not run in the scorer; its RSS includes heap not yet collected");
        return rssKiB(pid);
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
