package org.clinlora.cli;

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
import java.util.concurrent.atomic.AtomicBoolean;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.platform.process.ServiceProcess;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench soak}: the four services from their jars under a mixed load for N minutes — scoring clients, a training
 * pipeline submitting one short job after another, a publisher adding adapter versions and moving production aliases
 * — with a line per interval: requests by status, p99 latency, the resident memory of each service. It ends with the
 * verdicts an operator looks for: no 5xx other than 503, and memory flat after the warm-up.
 */
@Command(name = "soak", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Mixed scoring, training and publishing for N minutes: status counts, p99 and each service's RSS every interval.",
        footer = {"Starts registry-svc, tokenizer-svc, trainer-svc and scorer-svc from their jars (needs ./clinlora infra up).",
                "Exit status 1 when any request got a 5xx other than 503."})
final class BenchSoakCommand extends CliCommand {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> LABELS = List.of("0", "1");

    @Option(names = "--minutes", defaultValue = "10", description = "how long (default ${DEFAULT-VALUE})")
    int minutes;
    @Option(names = "--interval-seconds", defaultValue = "60", description = "one report line per interval (default ${DEFAULT-VALUE})")
    int intervalSeconds;
    @Option(names = "--clients", defaultValue = "4", description = "concurrent scoring clients (default ${DEFAULT-VALUE})")
    int clients;
    @Option(names = "--tasks", defaultValue = "4", description = "task adapters the clients score with (default ${DEFAULT-VALUE})")
    int tasks;

    /** Requests of one kind in the current interval: counts by status and latencies. */
    private static final class Tally {
        final Map<String, Integer> byStatus = new TreeMap<>();
        final List<Double> millis = new ArrayList<>();

        synchronized void add(String status, double ms) {
            byStatus.merge(status, 1, Integer::sum);
            millis.add(ms);
        }

        synchronized Tally drain() {
            Tally t = new Tally();
            t.byStatus.putAll(byStatus);
            t.millis.addAll(millis);
            byStatus.clear();
            millis.clear();
            return t;
        }

        double p99() {
            if (millis.isEmpty()) return Double.NaN;
            double[] s = millis.stream().mapToDouble(Double::doubleValue).toArray();
            Arrays.sort(s);
            return s[(int) Math.ceil(0.99 * (s.length - 1))];
        }
    }

    private final Map<String, Tally> tallies = new LinkedHashMap<>();
    private final Map<String, Integer> totals = new TreeMap<>();
    /** The first message of each failure (kind and status), so that the report says what went wrong. */
    private final Map<String, String> firstFailure = new java.util.concurrent.ConcurrentSkipListMap<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private HttpClient http;

    @Override
    void execute() throws Exception {
        atLeast("--minutes", minutes, 1);
        atLeast("--interval-seconds", intervalSeconds, 5);
        atLeast("--clients", clients, 1);
        atLeast("--tasks", tasks, 1);
        for (String k : List.of("score", "train", "publish")) tallies.put(k, new Tally());
        ObjectStore store = LocalBucket.open();
        Path work = Files.createTempDirectory("clinlora-bench-soak");
        String run = UUID.randomUUID().toString().substring(0, 6), model = "soak-" + run;
        LlamaConfig base = TinyLlama.write(work.resolve("m"), new TinyLlama.Spec(2000, 64, 2, 4, 2, TinyLlama.Spec.defaultIntermediate(64), 512, false, 8));
        new ModelStore(store).upload(model, work.resolve("m"));
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

        Map<String, ServiceProcess> svc = new LinkedHashMap<>();
        try {
            svc.put("registry", ServiceJars.start("registry", Map.of()));
            String registryUrl = svc.get("registry").url();
            svc.put("tokenizer", ServiceJars.start("tokenizer", Map.of()));
            svc.put("trainer", ServiceJars.start("trainer", Map.of("CLINLORA_REGISTRY_URL", registryUrl, "CLINLORA_TRAINER_CACHE", work.resolve("trainer").toString())));
            svc.put("scorer", ServiceJars.start("scorer", Map.of("CLINLORA_REGISTRY_URL", registryUrl, "CLINLORA_SCORER_BASE_MODEL", model,
                    "CLINLORA_SCORER_CACHE", work.resolve("scorer").toString())));
            RegistryClient registry = new RegistryClient(registryUrl, CliAuth::token);

            // The training pipeline's dataset, and the scoring clients' tasks at version 1 in production.
            new SyntheticCorpus(new SyntheticCorpus.Settings(120, 0.9, 5)).writeNotes(work.resolve("notes"), 300, 0);
            String notesKey = "bench/soak-" + run + "/discharge.csv.gz", dataset = "soak-ds-" + run;
            store.put(notesKey, work.resolve("notes/discharge.csv.gz"), Map.of());
            post(svc.get("tokenizer").url() + "/v1/datasets", Map.of("datasetId", dataset, "model", model, "kind", "causal_lm", "sources", List.of(notesKey), "seqLen", 64));
            awaitStatus(svc.get("tokenizer").url() + "/v1/datasets/" + dataset, List.of("ready", "failed"));
            List<String> names = new ArrayList<>();
            LoraConfig cfg = new LoraConfig("SEQ_CLS", 8, 16, 0.1, List.of("q_proj", "v_proj"), List.of("score"), false, null);
            for (int t = 0; t < tasks; t++) {
                String name = "soak-task-" + run + "-" + t;
                names.add(name);
                publish(store, registry, work, cfg, base, model, name, t);
                registry.moveAlias(name, "production", 1, null);
            }
            List<String> notes = new ArrayList<>();
            for (SyntheticCorpus.Admission a : new SyntheticCorpus(new SyntheticCorpus.Settings(50, 0.9, 3)).admissions()) notes.add(a.admissionNote());

            System.out.printf("clinlora bench soak: %d min, %d scoring clients over %d production aliases, one training job after another "
                    + "(domain adaptation, 20 steps), a new adapter version published and promoted every 2 s%n", minutes, clients, tasks);
            System.out.println("| minute | score by status | score p99 ms | train by status | publish by status | publish p99 ms | RSS MiB registry / tokenizer / trainer / scorer |");
            System.out.println("|---|---|---|---|---|---|---|");
            List<Thread> load = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                SplittableRandom rnd = new SplittableRandom(c);
                load.add(loop("soak-client-" + c, () -> {
                    String body = JSON.writeValueAsString(Map.of("task", names.get(rnd.nextInt(names.size())), "notes", List.of(notes.get(rnd.nextInt(notes.size())))));
                    timed("score", () -> send(svc.get("scorer").url() + "/v1/score", body));
                }));
            }
            int[] jobs = {0};
            load.add(loop("soak-trainer", () -> {
                String job = "soak-job-" + run + "-" + jobs[0]++;
                Map<String, Object> spec = Map.of("jobId", job, "kind", "domain_adaptation", "baseModel", model, "datasets", Map.of("train", dataset),
                        "outputName", "soak-clinical-" + run, "optim", Map.of("learningRate", 0.01, "batchSize", 8, "gradientAccumulation", 1, "maxSteps", 20));
                int submitted = timed("train", () -> send(svc.get("trainer").url() + "/v1/jobs", JSON.writeValueAsString(spec)));
                if (submitted == 202) tallies.get("train").add(awaitStatus(svc.get("trainer").url() + "/v1/jobs/" + job, List.of("succeeded", "failed", "cancelled")), 0);
            }));
            int[] versions = new int[tasks];
            Arrays.fill(versions, 1);
            load.add(loop("soak-publisher", () -> {
                int t = versions.length == 0 ? 0 : (int) (System.nanoTime() % versions.length);
                String name = names.get(t);
                int status = timed("publish", () -> {
                    int v = publish(store, registry, work, cfg, base, model, name, 1000 + versions[t]);
                    registry.moveAlias(name, "production", v, versions[t]);  // compare-and-set from the version it points at
                    versions[t] = v;
                    return 201;
                });
                if (status >= 0) Thread.sleep(2000);
            }));

            long start = System.nanoTime();
            Map<String, List<Long>> rss = new LinkedHashMap<>();
            for (int minute = 1; minute * (long) intervalSeconds <= minutes * 60L; minute++) {
                long due = start + Duration.ofSeconds((long) minute * intervalSeconds).toNanos();
                while (System.nanoTime() < due) Thread.sleep(Math.min(1000, Math.max(1, (due - System.nanoTime()) / 1_000_000)));
                Tally score = tallies.get("score").drain(), train = tallies.get("train").drain(), pub = tallies.get("publish").drain();
                List<String> mib = new ArrayList<>();
                for (var e : svc.entrySet()) {
                    long kib = Math.max(0, ProcStatus.kib(Long.toString(e.getValue().process().pid()), "VmRSS"));
                    rss.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(kib);
                    mib.add(String.format("%.0f", kib / 1024.0));
                }
                for (Tally t : List.of(score, train, pub)) t.byStatus.forEach((k, n) -> totals.merge(k, n, Integer::sum));
                System.out.printf("RESULT | %.1f | %s | %.0f | %s | %s | %.0f | %s |%n", minute * intervalSeconds / 60.0, score.byStatus, score.p99(), train.byStatus,
                        pub.byStatus, pub.p99(), String.join(" / ", mib));
                System.out.flush();  // one line per interval, as it happens
            }
            stop.set(true);
            for (Thread t : load) t.join(120_000);

            long bad = totals.entrySet().stream().filter(e -> e.getKey().startsWith("5") && !e.getKey().equals("503")).mapToLong(Map.Entry::getValue).sum();
            System.out.printf("RESULT totals by status (requests, and training jobs by outcome): %s%n", totals);
            System.out.printf("RESULT 5xx other than 503: %d%n", bad);
            firstFailure.forEach((k, m) -> System.out.printf("first %s: %s%n", k, m));
            int warm = Math.min(rss.values().iterator().next().size() - 1, Math.max(1, 120 / intervalSeconds) - 1);
            for (var e : rss.entrySet()) {
                List<Long> r = e.getValue();
                long after = r.get(warm), last = r.get(r.size() - 1), peak = r.subList(warm, r.size()).stream().mapToLong(Long::longValue).max().orElse(0);
                System.out.printf("RESULT %s RSS after warm-up (%.1f min) %.0f MiB, at the end %.0f MiB (%+.1f %%), peak %.0f MiB%n", e.getKey(),
                        (warm + 1) * intervalSeconds / 60.0, after / 1024.0, last / 1024.0, 100.0 * (last - after) / Math.max(1, after), peak / 1024.0);
            }
            if (bad > 0) throw new IllegalStateException(bad + " requests got a 5xx other than 503");  // exit code 1
        } finally {
            stop.set(true);
            List<ServiceProcess> all = new ArrayList<>(svc.values());
            for (int i = all.size() - 1; i >= 0; i--) all.get(i).close();
            PeftAdapterDir.deleteTree(work);
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private interface Call {
        int status() throws Exception;
    }

    /** A daemon thread that repeats {@code step} until the soak stops; a failing step is counted, not fatal. */
    private Thread loop(String name, Step step) {
        Thread t = new Thread(() -> {
            while (!stop.get()) {
                try {
                    step.run();
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    // counted by timed(); a pause so that a dead service is not hammered
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
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
        HttpResponse<String> r = http.send(CliAuth.request(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode();
    }

    private void post(String url, Object body) throws IOException, InterruptedException {
        int s = send(url, JSON.writeValueAsString(body));
        if (s / 100 != 2) throw new IllegalStateException("POST " + url + " answered " + s);
    }

    private String awaitStatus(String url, List<String> done) throws IOException, InterruptedException {
        long end = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < end && !stop.get()) {
            HttpResponse<String> r = http.send(CliAuth.request(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                JsonNode n = JSON.readTree(r.body());
                if (done.contains(n.path("status").asText())) return n.path("status").asText();
            }
            Thread.sleep(250);
        }
        return "unfinished";
    }

    /** Stages a random adapter and publishes it as the next version of {@code name}; returns the version. */
    private static int publish(ObjectStore store, RegistryClient registry, Path work, LoraConfig cfg, LlamaConfig base, String model, String name, long seed)
            throws IOException {
        Path d = BenchScoreCommand.writeAdapter(work.resolve("a-" + name + "-" + seed), cfg, base, seed);
        String prefix = "bench/soak/" + name + "/" + seed + "/";
        try (var files = Files.list(d)) {
            for (Path f : files.toList()) store.put(prefix + f.getFileName(), f, Map.of());
        }
        PeftAdapterDir.deleteTree(d);
        return registry.publishFromStore(name, prefix, Map.of("task", name, "baseModelId", model, "labelNames", LABELS)).version();
    }
}
