package org.clinlora.chaos;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.clinlora.testing.LocalInfra;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 30, "manifest rehearsal": every Deployment / Knative Service of the {@code dev} render (k8s/rendered/dev.yaml,
 * read as it is now) started from its service's jar with exactly the environment and arguments its manifest sets —
 * Secrets replaced by local stand-ins, mounted files by local files with the same content, cluster Services by the
 * local Kafka, S3Proxy and the other rehearsed services (over the render's transport: Kafka's SASL_SSL listener as each
 * service's own SCRAM user trusting the cluster CA's stand-in, S3Proxy's https endpoint trusting infra's throwaway CA,
 * issue 35), the container port by a free port — in dependency order, each waited for until its readiness probe says
 * UP, then its probes, ports, scrape endpoints and token check tried. A variable the jar does not read, a port it does
 * not listen on, an address with no Service, a missing variable whose default is the laptop's, a file the mount does
 * not hold: each fails it. {@link #plantedFaultsFail} shows that they do, on copies of the render with one fault
 * planted each.
 */
class ManifestRehearsalIT {
    private static final Path ROOT = LocalInfra.repoRoot();
    private static final Path DEV = ROOT.resolve("k8s/rendered/dev.yaml");
    private static final Duration READY = Duration.ofSeconds(90);

    @BeforeAll
    static void infra() {
        LocalInfra.startIfDown("kafka", LocalInfra.KAFKA_PORT);
        LocalInfra.startIfDown("s3", LocalInfra.S3_PORT);
        LocalInfra.tls(); // the dev render's transport: fails at once, saying why, on infra started without it
    }

    private static Path base(String label) throws Exception {
        return Files.createDirectories(Path.of(
                        "target",
                        "rehearsal",
                        label + "-" + UUID.randomUUID().toString().substring(0, 8)))
                .toAbsolutePath();
    }

    @Test
    void devRenderStartsAsShipped() throws Exception {
        RehearsalRender render = RehearsalRender.load(DEV);
        long t0 = System.nanoTime();
        try (Rehearsal r = new Rehearsal(render, ROOT, base("dev"))) {
            try {
                r.plan();
                assertTrue(!r.plans.isEmpty(), "no Deployment or Knative Service of " + DEV + " runs a service jar");
                r.failOnProblems("as planned, before anything started");
                for (String s : r.seedBaseModels())
                    System.out.println("rehearsal precondition: stored base model " + s);
                r.start(READY);
            } finally {
                System.out.println(r.report());
            }
            System.out.printf(
                    "RESULT rehearsal dev: %d container(s) of %s started as the manifests say and ready (%s) in %.0f s%n",
                    r.plans.size(),
                    DEV.getFileName(),
                    String.join(", ", r.plans.stream().map(RehearsalPlan::label).toList()),
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    /** A fault planted in a copy of the dev render, each in one object, must be reported as a problem of it. */
    @Test
    void plantedFaultsFail() throws Exception {
        RehearsalRender dev = RehearsalRender.load(DEV);
        plant(
                dev,
                "unknown variable",
                "CLINLORA_REGISTRY_BUKET",
                c -> env(c, "registry-svc").add(entry("CLINLORA_REGISTRY_BUKET", "clinlora")));
        plant(dev, "port variable removed", "listens on", c -> remove(env(c, "registry-svc"), portVariable(c)));
        plant(
                dev,
                "host with no Service",
                "has no Service registry",
                c -> env(c, "trainer-svc").add(entry("CLINLORA_REGISTRY_URL", "http://registry:8080")));
        plant(
                dev,
                "plain http to the object store that serves TLS",
                "would not be understood",
                c -> env(c, "registry-svc").add(entry("CLINLORA_S3_ENDPOINT", "http://minio:9000")));
        plant(
                dev,
                "port the Service does not expose",
                "not 9001",
                c -> env(c, "registry-svc").add(entry("CLINLORA_S3_ENDPOINT", "http://minio:9001")));
        plant(dev, "variable with a laptop default missing", "CLINLORA_KAFKA_BOOTSTRAP is not set", c -> {
            for (JsonNode cm : c.ofKind("ConfigMap")) ((ObjectNode) cm.path("data")).remove("CLINLORA_KAFKA_BOOTSTRAP");
            for (var w : c.workloads())
                for (JsonNode ct : w.podSpec().path("containers"))
                    if (ct.path("env").isArray()) remove((ArrayNode) ct.path("env"), "CLINLORA_KAFKA_BOOTSTRAP");
        });
        plant(
                dev,
                "Secret key with no stand-in",
                "no local stand-in",
                c -> env(c, "registry-svc")
                        .add(secretEntry("CLINLORA_S3_SECRET_KEY", "clinlora-s3-registry-svc", "secret-kee")));
        plant(
                dev,
                "file the mount does not hold",
                "no such file",
                c -> env(c, "registry-svc")
                        .add(entry("CLINLORA_JWT_PUBLIC_KEY_LOCATION", "file:/etc/clinlora/jwt/jwt-public.pem")));
        plant(
                dev,
                "probe on an undeclared port",
                "is no port the container declares",
                c -> ((ObjectNode) container(c, "registry-svc")
                                .path("readinessProbe")
                                .path("httpGet"))
                        .put("port", "metrics"));
        // The two started for real run side by side (their own ports, directories and buckets): the bucket check's
        // wait for a readiness that never comes covers the other's start.
        CompletableFuture<Void> bucket = CompletableFuture.runAsync(() -> {
            try {
                plantedBucketFailsReadiness(dev);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
        Throwable failed = null;
        try {
            unknownVariableStartsAnyway(dev);
        } catch (Exception | Error e) {
            failed = e;
        }
        try {
            bucket.join(); // also when the other failed: its rehearsal and process end before the test does
        } catch (CompletionException e) {
            if (failed == null) failed = e.getCause();
            else failed.addSuppressed(e.getCause());
        }
        if (failed instanceof Error err) throw err;
        if (failed != null) throw (Exception) failed;
    }

    /**
     * The services themselves do not reject an unknown variable (their configuration only reads the names it knows):
     * registry-svc with the planted CLINLORA_REGISTRY_BUKET starts and is ready. The static check above is what catches
     * it.
     */
    private static void unknownVariableStartsAnyway(RehearsalRender dev) throws Exception {
        RehearsalRender c = registryOnly(dev, "planted: CLINLORA_REGISTRY_BUKET, started anyway");
        env(c, "registry-svc").add(entry("CLINLORA_REGISTRY_BUKET", "clinlora"));
        try (Rehearsal r = new Rehearsal(c, ROOT, base("planted-unknown")).plan()) {
            RehearsalPlan p = r.planOf("registry-svc");
            assertTrue(p.problems.removeIf(s -> s.startsWith("CLINLORA_REGISTRY_BUKET")), String.valueOf(p.problems));
            r.failOnProblems("as planned");
            r.start(READY);
            System.out.println("RESULT rehearsal planted-fault \"unknown variable\", started anyway: registry-svc "
                    + "ignored CLINLORA_REGISTRY_BUKET and was ready ("
                    + p.notes.stream()
                            .filter(n -> n.startsWith("ready in"))
                            .map(n -> n.substring(0, n.indexOf(':')))
                            .findFirst()
                            .orElse("?")
                    + "): the services do not reject unknown variables, the rehearsal's name check does");
        }
    }

    private static RehearsalRender registryOnly(RehearsalRender dev, String label) {
        RehearsalRender c = dev.copy(label);
        c.objects.removeIf(o -> o.path("kind").asText().equals("Deployment")
                && !RehearsalRender.nameOf(o).equals("registry-svc"));
        return c;
    }

    /** Started for real: registry-svc alone, its bucket planted as one the object store does not have. */
    private static void plantedBucketFailsReadiness(RehearsalRender dev) throws Exception {
        RehearsalRender c = registryOnly(dev, "planted: bucket rehearsal-no-such-bucket");
        env(c, "registry-svc").add(entry("CLINLORA_S3_BUCKET", "rehearsal-no-such-bucket"));
        try (Rehearsal r = new Rehearsal(c, ROOT, base("planted-bucket")).plan()) {
            r.failOnProblems("as planned");
            AssertionError e = assertThrows(AssertionError.class, () -> r.start(Duration.ofSeconds(25)));
            assertTrue(
                    e.getMessage().contains("not ready") && e.getMessage().contains("bucket missing"), e.getMessage());
            System.out.println(
                    "RESULT rehearsal planted-fault \"bucket the store does not have\": registry-svc started "
                            + "and never ready — " + RehearsalChecks.abbreviate(e.getMessage()));
        }
    }

    private static void plant(RehearsalRender dev, String what, String expected, Consumer<RehearsalRender> fault)
            throws Exception {
        RehearsalRender c = dev.copy("planted: " + what);
        fault.accept(c);
        try (Rehearsal r = new Rehearsal(c, ROOT, base("planted")).plan()) {
            List<String> problems = r.allProblems();
            assertTrue(
                    problems.stream().anyMatch(p -> p.contains(expected)),
                    "planted " + what + ": expected a problem containing '" + expected + "', got " + problems);
            AssertionError e = assertThrows(AssertionError.class, () -> r.failOnProblems("as planned"));
            System.out.println("RESULT rehearsal planted-fault \"" + what + "\": rejected — "
                    + problems.stream()
                            .filter(p -> p.contains(expected))
                            .findFirst()
                            .orElseThrow());
            assertTrue(e.getMessage().contains(expected));
        }
    }

    private static JsonNode container(RehearsalRender r, String deployment) {
        return r.workloads().stream()
                .filter(w -> w.name().equals(deployment))
                .findFirst()
                .orElseThrow(() -> new AssertionError("the dev render has no Deployment " + deployment))
                .podSpec()
                .path("containers")
                .path(0);
    }

    private static ArrayNode env(RehearsalRender r, String deployment) {
        ObjectNode c = (ObjectNode) container(r, deployment);
        return c.has("env") ? (ArrayNode) c.get("env") : c.putArray("env");
    }

    private static String portVariable(RehearsalRender r) {
        RehearsalJar jar = RehearsalJar.read(ROOT, "registry-svc");
        String var = jar.settingOf("quarkus.http.port").orElseThrow().variable();
        assertTrue(
                env(r, "registry-svc").findValuesAsText("name").contains(var),
                "registry-svc's manifest does not set " + var);
        return var;
    }

    private static ObjectNode entry(String name, String value) {
        return RehearsalRender.YAML.createObjectNode().put("name", name).put("value", value);
    }

    private static ObjectNode secretEntry(String name, String secret, String key) {
        ObjectNode e = RehearsalRender.YAML.createObjectNode().put("name", name);
        e.putObject("valueFrom").putObject("secretKeyRef").put("name", secret).put("key", key);
        return e;
    }

    private static void remove(ArrayNode env, String name) {
        for (int i = env.size() - 1; i >= 0; i--)
            if (name.equals(env.get(i).path("name").asText())) env.remove(i);
    }
}
