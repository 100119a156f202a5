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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import org.clinlora.cli.client.CliAuth;
import org.clinlora.cli.client.LocalBucket;
import org.clinlora.cli.client.Refusals;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.cli.command.ProgressBar;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ObjectStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The paper's two-step method through the running services' own APIs (the launcher's {@code demo} starts them first): a
 * tiny base model and a synthetic corpus, dataset builds, the Clinical LoRA job, Downstream LoRA jobs for the five
 * tasks stacked on it, promotion to production, scoring, and the results table.
 */
@Command(
        name = "demo-run",
        hidden = true,
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description =
                "The two-step method through the running services (use ./clinlora demo, which starts and stops them).",
        footer = {
            "Needs tokenizer-svc, registry-svc, trainer-svc and scorer-svc on their ports (CLINLORA_*_PORT, defaults 8081-8084)",
            "A scorer without CLINLORA_SCORER_BASE_MODEL binds to the demo's base model when it scores its first adapter."
        })
final class DemoCommand extends CliCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(
            names = "--run-dir",
            required = true,
            paramLabel = "DIR",
            description = "where the model, corpus and results go")
    Path runDir;

    @Option(
            names = "--model-id",
            defaultValue = "clinlora-demo-tiny",
            description = "the base model's id in the store (default ${DEFAULT-VALUE})")
    String modelId;

    @Option(names = "--patients", defaultValue = "400", description = "synthetic patients (default ${DEFAULT-VALUE})")
    int patients;

    @Option(
            names = "--signal",
            defaultValue = "0.9",
            description = "strength of the planted label signal (default ${DEFAULT-VALUE})")
    double signal;

    /** The running services the demo talks to, and its HTTP client. */
    private record Services(HttpClient http, String tokenizer, String trainer, String registry, String scorer) {}

    @Override
    protected void execute() throws IOException {
        atLeast("--patients", patients, 20);
        Services svc = new Services(
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(),
                url("TOKENIZER", 8081),
                url("TRAINER", 8083),
                url("REGISTRY", 8082),
                url("SCORER", 8084));
        ObjectStore store = LocalBucket.open();
        long t0 = System.nanoTime();
        String run = Long.toString(System.currentTimeMillis(), 36);
        List<String> tasks =
                SyntheticCorpus.TASKS.stream().map(SyntheticCorpus.Task::name).toList();
        RegistryClient reg = new RegistryClient(svc.registry(), CliAuth::token);

        String notesKey = modelAndCorpus(svc, store, run);
        String notesDs = datasets(svc, run, notesKey, tasks);
        String clinical = "demo-clinical-" + run;
        int clinicalVersion = clinicalLora(svc, reg, clinical, notesDs);
        Map<String, JsonNode> results = downstreamLoras(svc, reg, run, tasks, clinical);
        scoreNotes(svc, run, tasks);
        printResults(clinical, clinicalVersion, results);
        System.out.printf(
                "demo finished in %.1f min; everything it made is under %s and in the bucket under demo/, datasets/demo-*, adapters/demo-*%n",
                (System.nanoTime() - t0) / 6e10, runDir);
    }

    /** Step 1: the base model pushed to the registry, the corpus made and its notes in the bucket; their key. */
    private String modelAndCorpus(Services svc, ObjectStore store, String run) throws IOException {
        step(
                "1/6 a tiny base model and a synthetic corpus (%d patients, signal %.1f) — made up, never patient data",
                patients, signal);
        Path model = runDir.resolve("model");
        if (!Files.exists(model.resolve("config.json")))
            TinyLlama.write(
                    model,
                    new TinyLlama.Spec(2000, 64, 2, 4, 2, TinyLlama.Spec.defaultIntermediate(64), 512, false, 8));
        // as `./clinlora models push` does: checked by the registry
        ModelsCommand.push(svc.http(), svc.registry(), modelId, model);
        Path corpus = runDir.resolve("corpus");
        if (!Files.exists(corpus.resolve("synthetic_los.csv")))
            new SyntheticCorpus(new SyntheticCorpus.Settings(patients, signal, 5)).write(corpus);
        String notesKey = "demo/" + run + "/synthetic_discharge.csv.gz";
        store.put(notesKey, corpus.resolve("synthetic_discharge.csv.gz"), Map.of());
        return notesKey;
    }

    /** Step 2: the notes' causal-LM dataset and each task's classification dataset, awaited; the notes' id. */
    private String datasets(Services svc, String run, String notesKey, List<String> tasks) throws IOException {
        step(
                "2/6 datasets through tokenizer-svc: clinical notes (causal LM) and the five tasks (classification, 128 tokens)");
        String notesDs = "demo-notes-" + run;
        post(
                svc.http(),
                svc.tokenizer() + "/v1/datasets",
                Map.of(
                        "datasetId",
                        notesDs,
                        "model",
                        modelId,
                        "kind",
                        "causal_lm",
                        "sources",
                        List.of(notesKey),
                        "seqLen",
                        64),
                202);
        Path corpus = runDir.resolve("corpus");
        for (String task : tasks) {
            send(
                    svc.http(),
                    CliAuth.request(URI.create(svc.tokenizer() + "/v1/datasets?kind=classification&seqLen=128&model="
                                    + modelId + "&datasetId=demo-" + task + "-" + run))
                            .header("Content-Type", "text/csv")
                            .POST(HttpRequest.BodyPublishers.ofFile(corpus.resolve("synthetic_" + task + ".csv")))
                            .build(),
                    202);
        }
        for (String ds :
                concat(notesDs, tasks.stream().map(t -> "demo-" + t + "-" + run).toList())) awaitDataset(svc, ds);
        return notesDs;
    }

    private static void awaitDataset(Services svc, String ds) throws IOException {
        JsonNode d = await(svc.http(), svc.tokenizer() + "/v1/datasets/" + ds, List.of("ready", "failed"), (n, bar) -> {
            if (n.at("/progress/fraction").isNumber())
                bar.update(
                        Math.round(n.at("/progress/fraction").asDouble() * 100),
                        100,
                        -1,
                        n.at("/progress/notesRead").asLong() + " notes");
        });
        if (!"ready".equals(d.path("status").asText()))
            throw new IllegalStateException(
                    "dataset " + ds + " failed: " + d.path("reason").asText());
        System.out.printf(
                "   %-28s ready: %s rows train / %s validation / %s test%n",
                ds, d.at("/counts/train/rows"), d.at("/counts/validation/rows"), d.at("/counts/test/rows"));
    }

    /** Step 3: the Clinical LoRA trained and promoted to production; its version. */
    private int clinicalLora(Services svc, RegistryClient reg, String clinical, String notesDs) throws IOException {
        step("3/6 Clinical LoRA (domain adaptation, r=16, alpha=32, q_proj+v_proj) through trainer-svc");
        post(
                svc.http(),
                svc.trainer() + "/v1/jobs",
                Map.of(
                        "jobId",
                        clinical,
                        "kind",
                        "domain_adaptation",
                        "baseModel",
                        modelId,
                        "datasets",
                        Map.of("train", notesDs),
                        "outputName",
                        clinical,
                        "optim",
                        Map.of(
                                "learningRate",
                                0.01,
                                "batchSize",
                                8,
                                "gradientAccumulation",
                                1,
                                "epochs",
                                2,
                                "maxSteps",
                                100),
                        "seed",
                        1),
                202);
        JsonNode c = awaitJob(svc.http(), svc.trainer(), clinical);
        System.out.printf(
                "   %s: held-out perplexity %.1f -> %.1f%n",
                c.path("adapter").asText(),
                c.at("/metrics/before.perplexity").asDouble(),
                c.at("/metrics/validation.perplexity").asDouble());
        int clinicalVersion = Integer.parseInt(c.path("adapter").asText().replaceAll(".*@", ""));
        reg.moveAlias(clinical, "production", clinicalVersion, null);
        return clinicalVersion;
    }

    /** Step 4: a Downstream LoRA per task on the Clinical LoRA, each promoted to production; the finished jobs. */
    private Map<String, JsonNode> downstreamLoras(
            Services svc, RegistryClient reg, String run, List<String> tasks, String clinical) throws IOException {
        step("4/6 Downstream LoRA for %s, stacked on %s@production (frozen), through trainer-svc", tasks, clinical);
        for (String task : tasks) {
            post(
                    svc.http(),
                    svc.trainer() + "/v1/jobs",
                    Map.of(
                            "jobId",
                            "demo-" + task + "-job-" + run,
                            "kind",
                            "downstream",
                            "baseModel",
                            modelId,
                            "datasets",
                            Map.of("train", "demo-" + task + "-" + run),
                            "parent",
                            clinical + "@production",
                            "outputName",
                            "demo-" + task + "-" + run,
                            "task",
                            task,
                            "optim",
                            Map.of("learningRate", 0.01, "batchSize", 8, "gradientAccumulation", 1, "epochs", 10),
                            "seed",
                            1),
                    202);
        }
        Map<String, JsonNode> results = new LinkedHashMap<>();
        for (String task : tasks) {
            JsonNode j = awaitJob(svc.http(), svc.trainer(), "demo-" + task + "-job-" + run);
            results.put(task, j);
            String adapter = j.path("adapter").asText();
            reg.moveAlias(
                    "demo-" + task + "-" + run, "production", Integer.parseInt(adapter.replaceAll(".*@", "")), null);
        }
        return results;
    }

    /** Step 5: two new notes scored with every task's production alias. */
    private void scoreNotes(Services svc, String run, List<String> tasks) throws IOException {
        step("5/6 scoring a few notes through scorer-svc (production aliases)");
        List<String> notes = new ArrayList<>();
        for (SyntheticCorpus.Admission adm :
                new SyntheticCorpus(new SyntheticCorpus.Settings(2, signal, 99)).admissions())
            notes.add(adm.admissionNote());
        for (String task : tasks) {
            JsonNode s = JSON.readTree(post(
                    svc.http(),
                    svc.scorer() + "/v1/score",
                    Map.of("task", "demo-" + task + "-" + run, "notes", notes.subList(0, 2)),
                    200));
            System.out.printf(
                    "   %-5s %s lineage %s: note 1 %s%n",
                    task,
                    s.at("/adapter/ref").asText(),
                    s.at("/adapter/lineage"),
                    top(s.at("/results/0/probabilities")));
        }
    }

    /** Step 6: the results table, as the paper reports it. */
    private static void printResults(String clinical, int clinicalVersion, Map<String, JsonNode> results) {
        step("6/6 results (held-out test split, macro AUROC skipping single-class labels — the paper's metric)");
        System.out.println();
        System.out.println("| task | adapter (stacked on " + clinical + "@" + clinicalVersion
                + ") | test macro AUROC | validation macro AUROC | micro AUROC | train s |");
        System.out.println("|---|---|---|---|---|---|");
        double sum = 0;
        for (var e : results.entrySet()) {
            JsonNode m = e.getValue().path("metrics");
            double auroc = m.path("test.macro_auroc").asDouble();
            sum += auroc;
            System.out.printf(
                    "| %s | %s | %.3f | %.3f | %.3f | %.0f |%n",
                    e.getKey().toUpperCase(Locale.ROOT),
                    e.getValue().path("adapter").asText(),
                    auroc,
                    m.path("validation.macro_auroc").asDouble(),
                    m.path("test.micro_auroc").asDouble(),
                    m.path("train.seconds").asDouble());
        }
        System.out.printf("| average | | %.3f | | | |%n%n", sum / results.size());
    }

    private static String top(JsonNode probs) {
        String best = null;
        double p = -1;
        for (var it = probs.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getValue().asDouble() > p) {
                p = e.getValue().asDouble();
                best = e.getKey();
            }
        }
        return String.format("most likely %s (%.2f)", best, p);
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> out = new ArrayList<>(List.of(first));
        out.addAll(rest);
        return out;
    }

    private static String url(String svc, int port) {
        return "http://127.0.0.1:" + System.getenv().getOrDefault("CLINLORA_" + svc + "_PORT", String.valueOf(port));
    }

    private static void step(String fmt, Object... args) {
        System.out.printf("%n== " + fmt + "%n", args);
    }

    private static JsonNode awaitJob(HttpClient http, String trainer, String id) throws IOException {
        JsonNode j = await(http, trainer + "/v1/jobs/" + id, List.of("succeeded", "failed", "cancelled"), (n, bar) -> {
            if (n.has("progress"))
                bar.update(
                        n.at("/progress/step").asLong(),
                        n.at("/progress/totalSteps").asLong(),
                        n.at("/progress/etaSeconds").asDouble(-1),
                        String.format(
                                Locale.ROOT,
                                "loss %.3f  %.0f tok/s",
                                n.at("/progress/loss").asDouble(),
                                n.at("/progress/tokensPerSecond").asDouble()));
        });
        if (!"succeeded".equals(j.path("status").asText()))
            throw new IllegalStateException("job " + id + " " + j.path("status").asText() + ": "
                    + j.path("reason").asText());
        System.out.printf("   %-32s succeeded: %s%n", id, j.path("adapter").asText());
        return j;
    }

    /**
     * Polls until the status is one of {@code done}, showing progress on a bar (in place on a terminal, every 10 % in a
     * log).
     */
    private static JsonNode await(
            HttpClient http, String url, List<String> done, BiConsumer<JsonNode, ProgressBar> show) throws IOException {
        long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
        ProgressBar bar = new ProgressBar("   " + url.substring(url.lastIndexOf('/') + 1), System.out);
        while (System.nanoTime() < deadline) {
            JsonNode n = JSON.readTree(
                    send(http, CliAuth.request(URI.create(url)).GET().build(), 200));
            if (done.contains(n.path("status").asText())) {
                bar.done(null);
                return n;
            }
            show.accept(n, bar);
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
        throw new IllegalStateException(url + " did not finish in 15 minutes");
    }

    private static String post(HttpClient http, String url, Object body, int expected) throws IOException {
        return send(
                http,
                CliAuth.request(URI.create(url))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                        .build(),
                expected);
    }

    private static String send(HttpClient http, HttpRequest req, int expected) throws IOException {
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != expected)
                throw new IllegalStateException(req.method() + " " + req.uri() + " answered " + r.statusCode() + ": "
                        + Refusals.describe(r.statusCode(), r.body()));
            return r.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
