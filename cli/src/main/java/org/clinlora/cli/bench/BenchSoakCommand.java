package org.clinlora.cli.bench;

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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.clinlora.cli.client.CliAuth;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.platform.process.ServiceProcess;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench soak}: the four services from their jars under a mixed load for N minutes — scoring clients, a training
 * pipeline submitting one short job after another, a publisher adding adapter versions and moving production aliases —
 * with a line per interval: requests by status, p99 latency, the resident memory of each service. It ends with the
 * verdicts an operator looks for: no 5xx other than 503, and memory flat after the warm-up.
 */
@Command(
        name = "soak",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description =
                "Mixed scoring, training and publishing for N minutes: status counts, p99 and each service's RSS every interval.",
        footer = {
            "Starts registry-svc, tokenizer-svc, trainer-svc and scorer-svc from their jars (needs ./clinlora infra up),",
            "in a new bench-<id> bucket removed at the end (--keep keeps it; --bucket NAME uses an existing one).",
            "Exit status 1 when any request got a 5xx other than 503."
        })
final class BenchSoakCommand extends CliCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--minutes", defaultValue = "10", description = "how long (default ${DEFAULT-VALUE})")
    int minutes;

    @Option(
            names = "--interval-seconds",
            defaultValue = "60",
            description = "one report line per interval (default ${DEFAULT-VALUE})")
    int intervalSeconds;

    @Option(
            names = "--clients",
            defaultValue = "4",
            description = "concurrent scoring clients (default ${DEFAULT-VALUE})")
    int clients;

    @Mixin
    BenchBucket bucket;

    @Option(
            names = "--tasks",
            defaultValue = "4",
            description = "task adapters the clients score with (default ${DEFAULT-VALUE})")
    int tasks;

    private final Map<String, Tally> tallies = new LinkedHashMap<>();
    private final Map<String, Integer> totals = new TreeMap<>();
    /** The first message of each failure (kind and status), so that the report says what went wrong. */
    private final Map<String, String> firstFailure = new ConcurrentSkipListMap<>();

    private final AtomicBoolean stop = new AtomicBoolean();
    private HttpClient http;

    /** This soak's base model, bucket and services. */
    private record Soak(
            String run, String model, Path work, BenchBucket.InUse bucket, Map<String, ServiceProcess> svc) {
        ObjectStore store() {
            return bucket.store();
        }

        String url(String service) {
            return svc.get(service).url();
        }
    }

    @Override
    protected void execute() throws Exception {
        atLeast("--minutes", minutes, 1);
        atLeast("--interval-seconds", intervalSeconds, 5);
        atLeast("--clients", clients, 1);
        atLeast("--tasks", tasks, 1);
        for (String k : List.of("score", "train", "publish")) tallies.put(k, new Tally());
        try (BenchBucket.InUse b = bucket.open()) {
            soakIn(b);
        }
    }

    private void soakIn(BenchBucket.InUse b) throws Exception {
        ObjectStore store = b.store();
        Path work = Files.createTempDirectory("clinlora-bench-soak");
        String run = UUID.randomUUID().toString().substring(0, 6);
        Soak soak = new Soak(run, "soak-" + run, work, b, new LinkedHashMap<>());
        LlamaConfig base = TinyLlama.write(
                work.resolve("m"),
                new TinyLlama.Spec(2000, 64, 2, 4, 2, TinyLlama.Spec.defaultIntermediate(64), 512, false, 8));
        new ModelStore(store).upload(soak.model(), work.resolve("m"));
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        try {
            startServices(soak);
            RegistryClient registry = new RegistryClient(soak.url("registry"), CliAuth::token);
            Publisher publisher = new Publisher(store, registry, work, base, soak.model());
            String dataset = buildDataset(soak);
            List<String> names = publishTasks(publisher, run);
            List<String> notes = TaskAdapters.notesToScore();
            printHeader();
            List<Thread> load = new ArrayList<>();
            for (int c = 0; c < clients; c++) load.add(scoringClient(c, soak.url("scorer"), names, notes));
            load.add(trainingPipeline(soak, dataset));
            load.add(publishingLoop(publisher, names));
            Map<String, List<Long>> rss = reportIntervals(soak.svc());
            stop.set(true);
            for (Thread t : load) t.join(120_000);
            long bad = printVerdicts(rss);
            if (bad > 0) throw new IllegalStateException(bad + " requests got a 5xx other than 503"); // exit code 1
        } finally {
            stop.set(true);
            List<ServiceProcess> all = new ArrayList<>(soak.svc().values());
            for (int i = all.size() - 1; i >= 0; i--) all.get(i).close();
            PeftAdapterDir.deleteTree(work);
        }
    }

    private static void startServices(Soak soak) {
        Map<String, ServiceProcess> svc = soak.svc();
        svc.put("registry", ServiceJars.start("registry", soak.bucket(), Map.of()));
        String registryUrl = soak.url("registry");
        svc.put("tokenizer", ServiceJars.start("tokenizer", soak.bucket(), Map.of()));
        svc.put(
                "trainer",
                ServiceJars.start(
                        "trainer",
                        soak.bucket(),
                        Map.of(
                                "CLINLORA_REGISTRY_URL",
                                registryUrl,
                                "CLINLORA_TRAINER_CACHE",
                                soak.work().resolve("trainer").toString())));
        svc.put(
                "scorer",
                ServiceJars.start(
                        "scorer",
                        soak.bucket(),
                        Map.of(
                                "CLINLORA_REGISTRY_URL",
                                registryUrl,
                                "CLINLORA_SCORER_BASE_MODEL",
                                soak.model(),
                                "CLINLORA_SCORER_CACHE",
                                soak.work().resolve("scorer").toString())));
    }

    /** The training pipeline's dataset: synthetic discharge notes, built for causal LM by tokenizer-svc; its id. */
    private String buildDataset(Soak soak) throws IOException, InterruptedException {
        String run = soak.run();
        new SyntheticCorpus(new SyntheticCorpus.Settings(120, 0.9, 5))
                .writeNotes(soak.work().resolve("notes"), 300, 0);
        String notesKey = "bench/soak-" + run + "/discharge.csv.gz", dataset = "soak-ds-" + run;
        soak.store().put(notesKey, soak.work().resolve("notes/discharge.csv.gz"), Map.of());
        post(
                soak.url("tokenizer") + "/v1/datasets",
                Map.of(
                        "datasetId",
                        dataset,
                        "model",
                        soak.model(),
                        "kind",
                        "causal_lm",
                        "sources",
                        List.of(notesKey),
                        "seqLen",
                        64));
        awaitStatus(soak.url("tokenizer") + "/v1/datasets/" + dataset, List.of("ready", "failed"));
        return dataset;
    }

    /** The scoring clients' tasks, at version 1 in production. */
    private List<String> publishTasks(Publisher publisher, String run) throws IOException {
        List<String> names = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            String name = "soak-task-" + run + "-" + t;
            names.add(name);
            publisher.publish(name, t);
            publisher.registry().moveAlias(name, "production", 1, null);
        }
        return names;
    }

    private void printHeader() {
        System.out.printf(
                "clinlora bench soak: %d min, %d scoring clients over %d production aliases, one training job after another "
                        + "(domain adaptation, 20 steps), a new adapter version published and promoted every 2 s%n",
                minutes, clients, tasks);
        System.out.println(
                "| minute | score by status | score p99 ms | train by status | publish by status | publish p99 ms | RSS MiB registry / tokenizer / trainer / scorer |");
        System.out.println("|---|---|---|---|---|---|---|");
    }

    /** A client scoring a random note with a random task's production alias, one request after another. */
    private Thread scoringClient(int c, String scorerUrl, List<String> names, List<String> notes) {
        SplittableRandom rnd = new SplittableRandom(c);
        return loop("soak-client-" + c, () -> {
            String body = JSON.writeValueAsString(Map.of(
                    "task",
                    names.get(rnd.nextInt(names.size())),
                    "notes",
                    List.of(notes.get(rnd.nextInt(notes.size())))));
            timed("score", () -> send(scorerUrl + "/v1/score", body));
        });
    }

    /** One short domain-adaptation job after another; a job's outcome is counted under "train" as well. */
    private Thread trainingPipeline(Soak soak, String dataset) {
        int[] jobs = {0};
        return loop("soak-trainer", () -> {
            String job = "soak-job-" + soak.run() + "-" + jobs[0]++;
            Map<String, Object> spec = Map.of(
                    "jobId",
                    job,
                    "kind",
                    "domain_adaptation",
                    "baseModel",
                    soak.model(),
                    "datasets",
                    Map.of("train", dataset),
                    "outputName",
                    "soak-clinical-" + soak.run(),
                    "optim",
                    Map.of("learningRate", 0.01, "batchSize", 8, "gradientAccumulation", 1, "maxSteps", 20));
            int submitted = timed("train", () -> send(soak.url("trainer") + "/v1/jobs", JSON.writeValueAsString(spec)));
            if (submitted == 202) {
                String outcome = awaitStatus(
                        soak.url("trainer") + "/v1/jobs/" + job, List.of("succeeded", "failed", "cancelled"));
                tallies.get("train").add(outcome, 0);
            }
        });
    }

    /** A new version of a task every 2 s, its production alias moved to it (compare-and-set). */
    private Thread publishingLoop(Publisher publisher, List<String> names) {
        int[] versions = new int[tasks];
        Arrays.fill(versions, 1);
        return loop("soak-publisher", () -> {
            int t = versions.length == 0 ? 0 : (int) (System.nanoTime() % versions.length);
            String name = names.get(t);
            int status = timed("publish", () -> {
                int v = publisher.publish(name, 1000 + versions[t]);
                publisher.registry().moveAlias(name, "production", v, versions[t]); // from the version it points at
                versions[t] = v;
                return 201;
            });
            if (status >= 0) Thread.sleep(2000);
        });
    }

    /** A line per interval until the soak's time is up; each service's RSS (KiB) per interval. */
    private Map<String, List<Long>> reportIntervals(Map<String, ServiceProcess> svc)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        Map<String, List<Long>> rss = new LinkedHashMap<>();
        for (int minute = 1; minute * (long) intervalSeconds <= minutes * 60L; minute++) {
            long due =
                    start + Duration.ofSeconds((long) minute * intervalSeconds).toNanos();
            while (System.nanoTime() < due)
                Thread.sleep(Math.min(1000, Math.max(1, (due - System.nanoTime()) / 1_000_000)));
            Tally score = tallies.get("score").drain(),
                    train = tallies.get("train").drain(),
                    pub = tallies.get("publish").drain();
            List<String> mib = new ArrayList<>();
            for (var e : svc.entrySet()) {
                long kib = Math.max(
                        0, ProcStatus.kib(Long.toString(e.getValue().process().pid()), "VmRSS"));
                rss.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(kib);
                mib.add(String.format("%.0f", kib / 1024.0));
            }
            for (Tally t : List.of(score, train, pub)) t.byStatus.forEach((k, n) -> totals.merge(k, n, Integer::sum));
            System.out.printf(
                    "RESULT | %.1f | %s | %.0f | %s | %s | %.0f | %s |%n",
                    minute * intervalSeconds / 60.0,
                    score.byStatus,
                    score.p99(),
                    train.byStatus,
                    pub.byStatus,
                    pub.p99(),
                    String.join(" / ", mib));
            System.out.flush(); // one line per interval, as it happens
        }
        return rss;
    }

    /** The totals, the 5xx other than 503 (returned), the first failures, and whether memory stayed flat. */
    private long printVerdicts(Map<String, List<Long>> rss) {
        long bad = totals.entrySet().stream()
                .filter(e -> e.getKey().startsWith("5") && !e.getKey().equals("503"))
                .mapToLong(Map.Entry::getValue)
                .sum();
        System.out.printf("RESULT totals by status (requests, and training jobs by outcome): %s%n", totals);
        System.out.printf("RESULT 5xx other than 503: %d%n", bad);
        firstFailure.forEach((k, m) -> System.out.printf("first %s: %s%n", k, m));
        int warm = Math.min(rss.values().iterator().next().size() - 1, Math.max(1, 120 / intervalSeconds) - 1);
        for (var e : rss.entrySet()) {
            List<Long> r = e.getValue();
            long after = r.get(warm),
                    last = r.get(r.size() - 1),
                    peak =
                            r.subList(warm, r.size()).stream()
                                    .mapToLong(Long::longValue)
                                    .max()
                                    .orElse(0);
            System.out.printf(
                    "RESULT %s RSS after warm-up (%.1f min) %.0f MiB, at the end %.0f MiB (%+.1f %%), peak %.0f MiB%n",
                    e.getKey(),
                    (warm + 1) * intervalSeconds / 60.0,
                    after / 1024.0,
                    last / 1024.0,
                    100.0 * (last - after) / Math.max(1, after),
                    peak / 1024.0);
        }
        return bad;
    }

    private interface Step {
        void run() throws Exception;
    }

    private interface Call {
        int status() throws Exception;
    }

    /** A daemon thread that repeats {@code step} until the soak stops; a failing step is counted, not fatal. */
    private Thread loop(String name, Step step) {
        Thread t = new Thread(
                () -> {
                    while (!stop.get()) {
                        try {
                            step.run();
                        } catch (InterruptedException e) {
                            return;
                        } catch (Exception e) {
                            if (!pauseAfterFailure()) return;
                        }
                    }
                },
                name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Counted by {@link #timed}; a pause so that a dead service is not hammered. False when interrupted. */
    private static boolean pauseAfterFailure() {
        try {
            Thread.sleep(200);
            return true;
        } catch (InterruptedException ie) {
            return false;
        }
    }

    /** Runs one request, counting its status (or the exception's class) and its latency under {@code kind}. */
    private int timed(String kind, Call call) {
        long t0 = System.nanoTime();
        String status;
        int code = -1;
        try {
            code = call.status();
            status = Integer.toString(code);
        } catch (RegistryClient.RegistryException e) {
            status = Integer.toString(e.status());
            firstFailure.putIfAbsent(kind + " " + status, e.getMessage());
        } catch (Exception e) {
            status = e.getClass().getSimpleName();
            firstFailure.putIfAbsent(kind + " " + status, String.valueOf(e.getMessage()));
        }
        tallies.get(kind).add(status, (System.nanoTime() - t0) / 1e6);
        return code;
    }

    private int send(String url, String json) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(
                CliAuth.request(URI.create(url))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .timeout(Duration.ofMinutes(2))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode();
    }

    private void post(String url, Object body) throws IOException, InterruptedException {
        int s = send(url, JSON.writeValueAsString(body));
        if (s / 100 != 2) throw new IllegalStateException("POST " + url + " answered " + s);
    }

    private String awaitStatus(String url, List<String> done) throws IOException, InterruptedException {
        long end = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < end && !stop.get()) {
            HttpResponse<String> r =
                    http.send(CliAuth.request(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                JsonNode n = JSON.readTree(r.body());
                if (done.contains(n.path("status").asText()))
                    return n.path("status").asText();
            }
            Thread.sleep(250);
        }
        return "unfinished";
    }

    /** Stages a random task adapter and publishes it as the next version of a task. */
    private record Publisher(ObjectStore store, RegistryClient registry, Path work, LlamaConfig base, String model) {
        /** Publishes a new adapter made with {@code seed}; returns its version. */
        int publish(String name, long seed) throws IOException {
            Path d = TaskAdapters.write(work.resolve("a-" + name + "-" + seed), TaskAdapters.CONFIG, base, seed);
            String prefix = "bench/soak/" + name + "/" + seed + "/";
            TaskAdapters.stage(store, d, prefix);
            PeftAdapterDir.deleteTree(d);
            return TaskAdapters.publish(registry, name, prefix, model).version();
        }
    }
}
