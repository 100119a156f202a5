package org.clinlora.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.S3Settings;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestBucket;
import org.clinlora.testing.TestGroups;
import org.clinlora.testing.TestTopics;

/**
 * The rehearsal of one render: every container of its Deployments and Knative Services that is a clinlora service (a
 * jar {@code <container>/target/quarkus-app/quarkus-run.jar}) planned ({@link RehearsalPlan}), then started in
 * dependency order (a workload after those its addresses name), each waited for until its readiness probe answers 200,
 * then checked ({@link RehearsalChecks#live}); everything it started stops on {@link #close}. The bucket the manifests
 * name ({@code clinlora}, the user's local one) becomes a bucket of the rehearsal's own, removed on {@link #close}, as
 * the cluster Services become local addresses; the services' consumer groups become the rehearsal's own too.
 */
final class Rehearsal implements AutoCloseable {
    private static final String BUCKET = "CLINLORA_S3_BUCKET";

    final RehearsalRender render;
    final Path root;
    final Path base;
    final List<RehearsalPlan> plans = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    final List<String> skipped = new ArrayList<>();
    private final Map<RehearsalPlan, Process> processes = new LinkedHashMap<>();
    private final Map<RehearsalPlan, Long> launched = new HashMap<>();
    private RehearsalHosts hosts;
    private String bucket;

    Rehearsal(RehearsalRender render, Path root, Path base) {
        this.render = render;
        this.root = root;
        this.base = base;
    }

    /** The static part: jars, free ports, the host table, each container's plan. Problems are collected, not thrown. */
    Rehearsal plan() {
        Map<String, RehearsalJar> jars = new LinkedHashMap<>();
        for (RehearsalRender.Workload w : render.workloads()) {
            for (JsonNode c : w.podSpec().path("initContainers"))
                skipped.add(w.kind() + "/" + w.name() + " initContainer "
                        + c.path("name").asText() + " (not rehearsed)");
            for (JsonNode c : w.podSpec().path("containers")) {
                Optional<String> service = service(c);
                if (service.isEmpty()) {
                    String image = c.path("image").asText();
                    if (image.matches("(.*/)?clinlora/.*"))
                        problems.add(w.kind() + "/" + w.name() + " container "
                                + c.path("name").asText() + " (image " + image
                                + "): no service of this repository is built as "
                                + c.path("name").asText());
                    else
                        skipped.add(w.kind() + "/" + w.name() + " container "
                                + c.path("name").asText() + " (" + image + ": not a service of this repository)");
                    continue;
                }
                RehearsalJar jar = jars.computeIfAbsent(service.get(), s -> RehearsalJar.read(root, s));
                Map<Integer, Integer> ports = new LinkedHashMap<>();
                for (JsonNode p : c.path("ports"))
                    ports.put(p.path("containerPort").asInt(), LocalServices.freePort());
                if (ports.isEmpty() && w.knative()) ports.put(8080, LocalServices.freePort()); // Knative's default
                plans.add(new RehearsalPlan(w, c, jar, ports, base));
            }
        }
        hosts = RehearsalHosts.of(
                render,
                (workload, cport) -> plans.stream()
                        .filter(p -> p.key().equals(workload) && p.ports.containsKey(cport))
                        .findFirst()
                        .map(p -> p.localPort(cport)));
        for (RehearsalPlan p : plans) p.resolve(render, hosts, root, jars);
        return this;
    }

    /** The jar of a container: its name (the service), else its image's repository name. */
    private Optional<String> service(JsonNode container) {
        String name = container.path("name").asText();
        if (RehearsalJar.exists(root, name)) return Optional.of(name);
        String image = container.path("image").asText().replaceFirst("[:@].*$", "");
        String last = image.substring(image.lastIndexOf('/') + 1);
        return RehearsalJar.exists(root, last) ? Optional.of(last) : Optional.empty();
    }

    /** Every problem found so far, one per line, each with the object and container it belongs to. */
    List<String> allProblems() {
        List<String> out = new ArrayList<>(problems);
        for (RehearsalPlan p : plans) for (String s : p.problems) out.add(p.label() + ": " + s);
        return out;
    }

    void failOnProblems(String phase) {
        List<String> all = allProblems();
        if (!all.isEmpty())
            throw new AssertionError(render.source + " — " + phase + ": " + all.size() + " problem(s):\n  - "
                    + String.join("\n  - ", all));
    }

    /**
     * The deploy steps' precondition for a scorer: the base model it serves is in the bucket the manifest names
     * ({@code ./clinlora models push}); a tiny LLaMA is stored under that id when the local bucket has none.
     */
    List<String> seedBaseModels() throws IOException {
        ownBucket();
        List<String> seeded = new ArrayList<>();
        for (RehearsalPlan p : plans) {
            for (String var : p.origin.keySet()) {
                String id = p.env.get(var);
                if (!var.endsWith("_BASE_MODEL") || id == null || id.isBlank()) continue;
                S3Settings s = LocalInfra.s3Settings(p.env.get(BUCKET));
                ModelStore models = new ModelStore(new ObjectStore(s));
                if (models.config(id).isPresent()) continue;
                Path dir = base.resolve("models").resolve(id);
                TinyLlama.write(
                        dir,
                        new TinyLlama.Spec(2000, 64, 2, 4, 2, TinyLlama.Spec.defaultIntermediate(64), 512, false, 8));
                models.upload(id, dir);
                seeded.add(id + " (tiny LLaMA, bucket " + s.bucket() + ")");
            }
        }
        return seeded;
    }

    /** Starts every plan in dependency order; each must be ready within {@code readyWithin}, then pass the checks. */
    void start(Duration readyWithin) {
        ownBucket();
        List<RehearsalPlan> left = new ArrayList<>(plans);
        List<String> done = new ArrayList<>();
        while (!left.isEmpty()) {
            List<RehearsalPlan> level = left.stream()
                    .filter(p -> p.dependsOn.stream()
                            .filter(d -> !d.equals(p.key()))
                            .filter(d -> plans.stream().anyMatch(q -> q.key().equals(d)))
                            .allMatch(done::contains))
                    .toList();
            if (level.isEmpty()) level = List.copyOf(left); // a cycle: all at once, their ports are known already
            for (RehearsalPlan p : level) launch(p);
            for (RehearsalPlan p : level) {
                awaitReady(p, readyWithin);
                RehearsalChecks.live(p, render, hosts);
                done.add(p.key());
            }
            left.removeAll(level);
            failOnProblems("started");
        }
    }

    /**
     * Every plan whose bucket is the manifests' (their ConfigMaps' {@code CLINLORA_S3_BUCKET}, the one the MinIO init
     * Job makes) or unset gets a bucket of this rehearsal's own instead; a bucket a test planted stays as it is. The
     * services' shared consumer groups get the same suffix, so a rehearsed trainer takes no one else's requests.
     */
    private void ownBucket() {
        if (bucket != null) return;
        Set<String> manifests = new HashSet<>();
        for (JsonNode cm : render.ofKind("ConfigMap")) {
            JsonNode b = cm.path("data").path(BUCKET);
            if (b.isTextual()) manifests.add(b.asText());
        }
        bucket = TestBucket.open();
        for (RehearsalPlan p : plans) {
            String was = p.env.get(BUCKET);
            if (was != null && !manifests.contains(was)) continue;
            p.env.put(BUCKET, bucket);
            p.notes.add(BUCKET + ": " + (was == null ? "unset" : was) + " → " + bucket
                    + " (the rehearsal's own bucket, removed afterwards; the manifests' is the user's local one)");
            String svc = p.jar.service.replaceFirst("-svc$", "");
            TestTopics.env(svc, p.env).forEach((k, v) -> {
                p.env.put(k, v);
                p.notes.add(k + "=" + v + " (a topic of the rehearsal's own)");
            });
            TestGroups.env(svc, bucket, p.env).forEach((k, v) -> {
                p.env.put(k, v);
                p.notes.add(k + "=" + v + " (a consumer group of the rehearsal's own)");
            });
        }
    }

    private void launch(RehearsalPlan p) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(p.jvm);
        cmd.add("-jar");
        cmd.add(p.jar.app.resolve("quarkus-run.jar").toString());
        cmd.addAll(p.args);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(p.workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(p.log.toFile()));
        Map<String, String> env = pb.environment();
        String path = env.get("PATH");
        env.clear(); // exactly what the pod would have: nothing of this test's environment
        env.put("PATH", path);
        env.putAll(p.env);
        try {
            Files.createDirectories(p.log.getParent());
            processes.put(p, pb.start());
            launched.put(p, System.nanoTime());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + p.label(), e);
        }
    }

    private void awaitReady(RehearsalPlan p, Duration within) {
        RehearsalPlan.Probe ready = p.probes.stream()
                .filter(x -> x.kind().equals("readinessProbe"))
                .findFirst()
                .orElseThrow();
        String url = "http://127.0.0.1:" + p.localPort(ready.containerPort()) + ready.path();
        long start = launched.get(p), deadline = start + within.toNanos();
        Process proc = processes.get(p);
        RehearsalChecks.Answer last = new RehearsalChecks.Answer(-1, "not asked");
        while (System.nanoTime() < deadline) {
            if (!proc.isAlive()) {
                p.problems.add("exited with code " + proc.exitValue() + " before it was ready; log " + p.log + ":\n"
                        + RehearsalChecks.tail(p.log, 25));
                failOnProblems("start-up");
            }
            last = RehearsalChecks.get(url, null);
            if (last.status() == 200) {
                p.notes.add(String.format(
                        "ready in %.1f s after its start: %s", (System.nanoTime() - start) / 1e9, checks(last.body())));
                return;
            }
            sleep(500);
        }
        p.problems.add("not ready in " + within.toSeconds() + " s: " + ready.path() + " answered " + last.status()
                + " " + RehearsalChecks.abbreviate(last.body()) + "; log " + p.log + ":\n"
                + RehearsalChecks.tail(p.log, 25));
        failOnProblems("start-up");
    }

    /** The readiness checks of a SmallRye Health answer: {@code name UP, …}. */
    private static String checks(String health) {
        List<String> out = new ArrayList<>();
        try {
            for (JsonNode c : RehearsalRender.YAML.readTree(health).path("checks")) {
                JsonNode state = c.path("data").path("state");
                out.add(c.path("name").asText() + " " + c.path("status").asText()
                        + (state.isMissingNode() ? "" : " (" + state.asText() + ")"));
            }
        } catch (IOException e) {
            return "not SmallRye Health JSON";
        }
        return String.join(", ", out);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The mapping and outcome of each container, for the test's output. */
    String report() {
        StringBuilder b =
                new StringBuilder("rehearsal of " + render.source + " (namespace " + render.namespace() + ")\n");
        for (String s : skipped) b.append("  skipped: ").append(s).append('\n');
        for (RehearsalPlan p : plans) {
            b.append("  ")
                    .append(p.label())
                    .append(" ← ")
                    .append(p.jar.app.resolve("quarkus-run.jar"))
                    .append('\n');
            p.ports.forEach((c, l) -> b.append("    container port ")
                    .append(c)
                    .append(" → local ")
                    .append(l)
                    .append('\n'));
            b.append("    depends on ").append(p.dependsOn).append('\n');
            b.append("    JVM ")
                    .append(p.jvm)
                    .append(p.args.isEmpty() ? "" : " args " + p.args)
                    .append('\n');
            b.append(p.describeEnvironment());
            for (String n : p.notes) b.append("    · ").append(n).append('\n');
            b.append("    log ").append(p.log).append('\n');
        }
        return b.toString();
    }

    @Override
    public void close() {
        List<Process> reverse = new ArrayList<>(processes.values());
        Collections.reverse(reverse);
        for (Process proc : reverse) proc.destroy();
        for (Process proc : reverse) {
            try {
                if (!proc.waitFor(30, TimeUnit.SECONDS)) proc.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (bucket != null) TestBucket.close(bucket);
    }

    /** For the planted-fault tests: the plan of a container by workload name. */
    RehearsalPlan planOf(String workload) {
        return plans.stream()
                .filter(p -> p.workload.name().equals(workload))
                .findFirst()
                .orElseThrow();
    }
}
