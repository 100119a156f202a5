package org.clinlora.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.File;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Renders every overlay the way {@code kubectl apply -k} would, without a cluster, and checks what an operator relies
 * on: probes, limits and the right image on every workload; the trainer on GPU nodes only where the overlay says so; a
 * KafkaTopic for every topic the services use; credentials only as Secret references.
 *
 * <p>The render is {@code kubectl kustomize} (Kustomize built into kubectl). The rendered output is also committed
 * under {@code k8s/rendered/} (for review and GitOps tools); with kubectl on the PATH the test fails when that copy is
 * stale ({@code k8s/render.sh} refreshes it), and without kubectl it checks the committed copy.
 */
class KustomizeRenderTest {
    static final Path K8S =
            Path.of("").toAbsolutePath().getFileName().toString().equals("k8s")
                    ? Path.of("").toAbsolutePath()
                    : Path.of("k8s").toAbsolutePath();
    static final List<String> SERVICES =
            List.of("registry-svc", "tokenizer-svc", "trainer-svc", "scorer-svc", "console-svc");
    /** The services that talk to Kafka (the console only calls the others' REST APIs). */
    static final List<String> KAFKA_CLIENTS = List.of("registry-svc", "tokenizer-svc", "trainer-svc", "scorer-svc");

    static final String TAG = "0.1.0";
    static final YAMLMapper YAML = new YAMLMapper();

    static List<JsonNode> render(String overlay) throws Exception {
        Path committed = K8S.resolve("rendered/" + overlay + ".yaml");
        Optional<Path> kubectl = onPath("kubectl");
        String yaml;
        if (kubectl.isPresent()) {
            Process p = new ProcessBuilder(
                            kubectl.get().toString(),
                            "kustomize",
                            K8S.resolve("overlays/" + overlay).toString())
                    .redirectErrorStream(true)
                    .start();
            yaml = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize finishes");
            assertEquals(0, p.exitValue(), "kubectl kustomize overlays/" + overlay + ":\n" + yaml);
            assertTrue(
                    Files.exists(committed) && Files.readString(committed).equals(yaml),
                    "k8s/rendered/" + overlay + ".yaml is not the current render of overlays/" + overlay
                            + "; run k8s/render.sh");
        } else {
            System.out.println(
                    "kubectl is not on the PATH: checking the committed render k8s/rendered/" + overlay + ".yaml");
            yaml = Files.readString(committed);
        }
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it =
                YAML.readValues(YAML.createParser(new StringReader(yaml)), JsonNode.class)) {
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n != null && !n.isEmpty()) docs.add(n);
            }
        }
        assertFalse(docs.isEmpty(), overlay + " renders to nothing");
        return docs;
    }

    static Optional<Path> onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        return Stream.of(path.split(File.pathSeparator))
                .map(d -> Path.of(d, exe))
                .filter(Files::isExecutable)
                .findFirst();
    }

    static List<JsonNode> kind(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
    }

    static JsonNode named(List<JsonNode> docs, String kind, String name) {
        return kind(docs, kind).stream()
                .filter(d -> name.equals(d.at("/metadata/name").asText()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    /** The workloads that run the services: Deployments, and the scorer's Knative Service in the serverless overlay. */
    static List<JsonNode> workloads(List<JsonNode> docs) {
        List<JsonNode> out = new ArrayList<>(kind(docs, "Deployment"));
        docs.stream()
                .filter(d -> d.path("apiVersion").asText().startsWith("serving.knative.dev/"))
                .forEach(out::add);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "gpu", "serverless"})
    void everyServiceRunsTheRightImageWithProbesAndLimits(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        Set<String> seen = new TreeSet<>();
        for (JsonNode w : workloads(docs)) {
            String name = w.at("/metadata/name").asText();
            seen.add(name);
            for (JsonNode c : w.at("/spec/template/spec/containers")) {
                String where = overlay + " " + name + "/" + c.path("name").asText();
                boolean cuda = name.equals("trainer-svc") && !overlay.equals("dev");
                assertEquals(
                        "ghcr.io/clinlora/" + name + ":" + TAG + (cuda ? "-cuda" : ""),
                        c.path("image").asText(),
                        where + " image");
                assertTrue(
                        c.at("/livenessProbe/httpGet/path").asText().startsWith("/q/health/live"),
                        where + " liveness on /q/health/live");
                assertTrue(
                        c.at("/readinessProbe/httpGet/path").asText().startsWith("/q/health/ready"),
                        where + " readiness on /q/health/ready");
                for (String r : List.of("cpu", "memory")) {
                    assertFalse(c.at("/resources/requests/" + r).isMissingNode(), where + " requests " + r);
                    assertFalse(c.at("/resources/limits/" + r).isMissingNode(), where + " limits " + r);
                }
                assertEquals(
                        "false",
                        c.at("/securityContext/allowPrivilegeEscalation").asText(),
                        where + " no privilege escalation");
            }
            assertTrue(
                    w.at("/spec/template/spec/securityContext/runAsNonRoot").asBoolean(),
                    overlay + " " + name + " runs as non-root");
        }
        assertEquals(new TreeSet<>(SERVICES), seen, overlay + ": one workload per service");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpu", "serverless"})
    void theTrainerLandsOnlyOnGpuNodesWithAGpuAndTheCudaLibtorch(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        JsonNode trainer = named(docs, "Deployment", "trainer-svc").at("/spec/template/spec");
        assertEquals(
                "true",
                trainer.at("/nodeSelector").path("nvidia.com/gpu.present").asText(),
                "GPU node selector");
        assertTrue(
                stream(trainer.path("tolerations"))
                        .anyMatch(t -> t.path("key").asText().equals("nvidia.com/gpu")
                                && t.path("effect").asText().equals("NoSchedule")),
                "tolerates the GPU taint");
        JsonNode c = trainer.path("containers").get(0);
        assertEquals("1", c.at("/resources/limits").path("nvidia.com/gpu").asText(), "one GPU");
        assertTrue(
                stream(c.path("env"))
                        .anyMatch(e -> e.path("name").asText().equals("PYTORCH_FLAVOR")
                                && e.path("value").asText().equals("cu128")),
                "DJL told to use the image's CUDA libtorch");
        assertEquals(
                "Recreate",
                named(docs, "Deployment", "trainer-svc")
                        .at("/spec/strategy/type")
                        .asText(),
                "never two pods holding GPUs for one job slot");
        for (JsonNode w : workloads(docs)) {
            if (w.at("/metadata/name").asText().equals("trainer-svc")) continue;
            assertTrue(
                    w.at("/spec/template/spec/nodeSelector").isMissingNode(),
                    w.at("/metadata/name") + " is not pinned to GPU nodes");
            for (JsonNode x : w.at("/spec/template/spec/containers"))
                assertTrue(x.at("/resources/limits").path("nvidia.com/gpu").isMissingNode());
        }
    }

    @Test
    void theDevOverlayIsCpuOnlyWithSingleReplicas() throws Exception {
        List<JsonNode> docs = render("dev");
        for (JsonNode d : kind(docs, "Deployment")) {
            assertEquals(1, d.at("/spec/replicas").asInt(), d.at("/metadata/name") + " one replica");
            assertTrue(
                    d.at("/spec/template/spec/nodeSelector").isMissingNode(),
                    d.at("/metadata/name") + " no node selector");
            for (JsonNode c : d.at("/spec/template/spec/containers"))
                assertTrue(c.at("/resources/limits").path("nvidia.com/gpu").isMissingNode());
        }
        assertTrue(
                kind(docs, "KafkaTopic").stream()
                        .allMatch(t -> t.at("/spec/replicas").asInt() == 1),
                "single-broker topics");
        assertEquals(
                1,
                named(docs, "KafkaNodePool", "dual-role").at("/spec/replicas").asInt());
        assertTrue(
                kind(docs, "Namespace").isEmpty()
                        && docs.stream()
                                .filter(d -> !d.at("/metadata/namespace").isMissingNode())
                                .allMatch(d ->
                                        d.at("/metadata/namespace").asText().equals("clinlora-dev")),
                "everything in clinlora-dev");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "gpu"})
    void theScorerHasADisruptionBudgetAndAnAutoscaler(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        JsonNode hpa = named(docs, "HorizontalPodAutoscaler", "scorer-svc");
        assertEquals("Deployment", hpa.at("/spec/scaleTargetRef/kind").asText());
        assertEquals("scorer-svc", hpa.at("/spec/scaleTargetRef/name").asText());
        assertTrue(hpa.at("/spec/maxReplicas").asInt()
                > hpa.at("/spec/minReplicas").asInt());
        JsonNode pdb = named(docs, "PodDisruptionBudget", "scorer-svc");
        assertEquals(
                "scorer-svc",
                pdb.at("/spec/selector/matchLabels")
                        .path("app.kubernetes.io/name")
                        .asText());
    }

    @Test
    void theServerlessScorerScalesToZeroAndReplacesTheDeployment() throws Exception {
        List<JsonNode> docs = render("serverless");
        JsonNode ksvc = docs.stream()
                .filter(d -> d.path("apiVersion").asText().equals("serving.knative.dev/v1")
                        && d.path("kind").asText().equals("Service"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no Knative Service"));
        assertEquals("scorer-svc", ksvc.at("/metadata/name").asText());
        assertEquals(
                "0",
                ksvc.at("/spec/template/metadata/annotations")
                        .path("autoscaling.knative.dev/min-scale")
                        .asText());
        assertTrue(
                kind(docs, "Deployment").stream()
                        .noneMatch(d -> d.at("/metadata/name").asText().equals("scorer-svc")),
                "no scorer Deployment");
        assertTrue(
                kind(docs, "HorizontalPodAutoscaler").isEmpty()
                        && kind(docs, "PodDisruptionBudget").isEmpty(),
                "Knative scales the scorer");
        assertTrue(
                docs.stream()
                        .noneMatch(d -> d.path("apiVersion").asText().equals("v1")
                                && d.path("kind").asText().equals("Service")
                                && d.at("/metadata/name").asText().equals("scorer-svc")),
                "Knative owns the scorer's Kubernetes Service name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "gpu", "serverless"})
    void prometheusScrapesEveryServiceAndTheGrafanaDashboardReadsWhatTheyExport(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        JsonNode monitor = named(docs, "ServiceMonitor", "clinlora");
        Set<String> scraped = new TreeSet<>();
        monitor.at("/spec/selector/matchExpressions/0/values").forEach(v -> scraped.add(v.asText()));
        assertEquals(new TreeSet<>(SERVICES), scraped, overlay + ": every service is scraped");
        assertEquals("/q/metrics", monitor.at("/spec/endpoints/0/path").asText());
        assertEquals("http", monitor.at("/spec/endpoints/0/port").asText());
        for (String svc : SERVICES) {
            // The serverless scorer is a Knative Service (its own Services, scaled to zero): Knative's metrics cover
            // it.
            if (overlay.equals("serverless") && svc.equals("scorer-svc")) continue;
            assertEquals(
                    "http",
                    named(docs, "Service", svc).at("/spec/ports/0/name").asText(),
                    svc + " names its port http");
        }

        JsonNode cm = named(docs, "ConfigMap", "clinlora-grafana-dashboard");
        assertEquals(
                "1", cm.at("/metadata/labels/grafana_dashboard").asText(), "the Grafana sidecar finds it by its label");
        JsonNode dashboard = new ObjectMapper()
                .readTree(cm.at("/data/clinlora-dashboard.json").asText());
        Set<String> exprs = new TreeSet<>();
        dashboard
                .path("panels")
                .forEach(p ->
                        p.path("targets").forEach(t -> exprs.add(t.path("expr").asText())));
        String all = String.join("\n", exprs);
        // Micrometer's Prometheus names of the meters scorer-svc and trainer-svc register (ScorerMetrics,
        // TrainerMetrics).
        for (String metric : List.of(
                "clinlora_scorer_request_latency_seconds_bucket",
                "clinlora_scorer_queue_rows",
                "clinlora_scorer_batch_rows_sum",
                "clinlora_scorer_adapters_cache_hits_total",
                "clinlora_scorer_adapters_cache_evictions_total",
                "clinlora_trainer_jobs",
                "clinlora_trainer_step_loss",
                "clinlora_trainer_steps_total",
                "http_server_requests_seconds_bucket")) {
            assertTrue(all.contains(metric), "the dashboard charts " + metric);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "gpu", "serverless"})
    void everyTopicTheServicesUseIsAKafkaTopicOfTheClusterTheyPointAt(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        JsonNode kafka = kind(docs, "Kafka").get(0);
        String cluster = kafka.at("/metadata/name").asText();
        Set<String> declared = new TreeSet<>();
        for (JsonNode t : kind(docs, "KafkaTopic")) {
            assertEquals(
                    cluster,
                    t.at("/metadata/labels").path("strimzi.io/cluster").asText(),
                    t.at("/metadata/name") + " belongs to " + cluster);
            declared.add(
                    t.at("/spec/topicName").isMissingNode()
                            ? t.at("/metadata/name").asText()
                            : t.at("/spec/topicName").asText());
        }
        Set<String> used = topicsTheServicesUse();
        assertTrue(used.size() >= 10, "the services' topics were found: " + used);
        assertTrue(used.stream().anyMatch(t -> t.endsWith(".dlq")), "dead-letter topics included: " + used);
        assertTrue(declared.containsAll(used), overlay + ": topics without a KafkaTopic: " + minus(used, declared));
        assertEquals(
                "false",
                kafka.at("/spec/kafka/config").path("auto.create.topics.enable").asText(),
                "no topic appears by accident");
        JsonNode config = named(docs, "ConfigMap", "clinlora-config").path("data");
        assertEquals(
                cluster + "-kafka-bootstrap:9092",
                config.path("CLINLORA_KAFKA_BOOTSTRAP").asText(),
                "services point at Strimzi's bootstrap service");
        String s3 = config.path("CLINLORA_S3_ENDPOINT").asText();
        assertTrue(
                kind(docs, "Service").stream()
                        .anyMatch(s ->
                                s3.equals("http://" + s.at("/metadata/name").asText() + ":"
                                        + s.at("/spec/ports/0/port").asInt())),
                "the S3 endpoint " + s3 + " is the MinIO Service");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "gpu", "serverless"})
    void credentialsAreSecretReferencesNeverValues(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        assertTrue(
                kind(docs, "Secret").isEmpty(),
                overlay + " carries no Secret objects (they are created outside the repository)");
        Pattern sensitive = Pattern.compile(
                "(?i)(.*[_.-])?(secret|password|passwd|token|access[_-]?key|secret[_-]?key|credentials?)([_.-].*)?");
        for (JsonNode d : docs) {
            for (JsonNode c : containers(d)) {
                for (JsonNode e : c.path("env")) {
                    // A *_FILE / *_LOCATION variable is a path into a mounted Secret (checked elsewhere), not a value.
                    if (sensitive.matcher(e.path("name").asText()).matches()
                            && !e.path("name").asText().matches(".*_(FILE|LOCATION)")) {
                        assertTrue(
                                e.path("value").isMissingNode()
                                        && !e.at("/valueFrom/secretKeyRef/name").isMissingNode(),
                                overlay + " " + d.at("/metadata/name").asText() + ": "
                                        + e.path("name").asText() + " must come from a Secret");
                    }
                }
            }
            if (d.path("kind").asText().equals("ConfigMap")) {
                d.path("data")
                        .fieldNames()
                        .forEachRemaining(k -> assertFalse(
                                sensitive.matcher(k).matches(), "ConfigMap key " + k + " looks like a credential"));
                assertFalse(
                        d.path("data").toString().contains("minioadmin"), "no development credentials in a ConfigMap");
            }
        }
        for (JsonNode w : workloads(docs)) {
            Set<String> refs = new TreeSet<>();
            for (JsonNode c : containers(w))
                for (JsonNode e : c.path("env"))
                    if (!e.at("/valueFrom/secretKeyRef").isMissingNode())
                        refs.add(e.path("name").asText());
            assertTrue(
                    refs.containsAll(Set.of("CLINLORA_S3_ACCESS_KEY", "CLINLORA_S3_SECRET_KEY")),
                    w.at("/metadata/name") + " reads the S3 credentials from the Secret");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "gpu", "serverless"})
    void everyServiceVerifiesBearerTokensAndOnlyCallersHoldTheirOwn(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        JsonNode config = named(docs, "ConfigMap", "clinlora-config").path("data");
        String keyLocation = config.path("CLINLORA_JWT_PUBLIC_KEY_LOCATION").asText();
        assertTrue(
                keyLocation.startsWith("file:/etc/clinlora/jwt/"),
                "tokens are verified against the mounted key: " + keyLocation);
        assertFalse(config.path("CLINLORA_JWT_ISSUER").asText().isBlank(), "an issuer is configured");
        assertEquals("clinlora", config.path("CLINLORA_JWT_AUDIENCE").asText());
        for (JsonNode w : workloads(docs)) {
            String name = w.at("/metadata/name").asText();
            JsonNode spec = w.at("/spec/template/spec");
            assertTrue(
                    mounts(spec, "clinlora-jwt-public-key", "/etc/clinlora/jwt"),
                    name + " mounts the verification key");
            JsonNode c = spec.path("containers").get(0);
            String tokenFile = env(c, "CLINLORA_SERVICE_TOKEN_FILE");
            if (name.equals("trainer-svc") || name.equals("scorer-svc")) {
                assertEquals("/etc/clinlora/token/token", tokenFile, name + " calls the registry with its own token");
                assertTrue(
                        mounts(spec, "clinlora-" + name + "-token", "/etc/clinlora/token"),
                        name + "'s token comes from its own Secret");
            } else {
                assertEquals(null, tokenFile, name + " calls no service and holds no token");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpu", "serverless"})
    void kafkaIsTlsWithOneScramUserAndItsAclsPerService(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        assertEquals(
                "simple",
                kind(docs, "Kafka").get(0).at("/spec/kafka/authorization/type").asText(),
                "Kafka enforces ACLs");
        Set<String> users = new TreeSet<>();
        for (JsonNode u : kind(docs, "KafkaUser")) {
            users.add(u.at("/metadata/name").asText());
            assertEquals("scram-sha-512", u.at("/spec/authentication/type").asText());
            assertTrue(u.at("/spec/authorization/acls").size() > 0, u.at("/metadata/name") + " has ACLs");
        }
        assertEquals(new TreeSet<>(KAFKA_CLIENTS), users, "one Kafka user per service that uses Kafka");
        for (JsonNode w : workloads(docs)) {
            String name = w.at("/metadata/name").asText();
            JsonNode c = w.at("/spec/template/spec/containers").get(0);
            if (!KAFKA_CLIENTS.contains(name)) {
                assertEquals(null, env(c, "CLINLORA_KAFKA_SASL_MECHANISM"), name + " holds no Kafka credentials");
                continue;
            }
            assertEquals("SASL_SSL", env(c, "CLINLORA_KAFKA_SECURITY_PROTOCOL"), name);
            assertEquals("SCRAM-SHA-512", env(c, "CLINLORA_KAFKA_SASL_MECHANISM"), name);
            assertTrue(env(c, "CLINLORA_KAFKA_BOOTSTRAP").endsWith(":9093"), name + " uses the TLS listener");
            JsonNode jaas = stream(c.path("env"))
                    .filter(e -> e.path("name").asText().equals("CLINLORA_KAFKA_SASL_JAAS_CONFIG"))
                    .findFirst()
                    .orElseThrow();
            assertEquals(
                    name, jaas.at("/valueFrom/secretKeyRef/name").asText(), name + " logs in as its own Kafka user");
        }
        // Each user may touch only the topics its service uses (its application.properties).
        for (JsonNode u : kind(docs, "KafkaUser")) {
            Set<String> topics = new TreeSet<>();
            for (JsonNode acl : u.at("/spec/authorization/acls"))
                if (acl.at("/resource/type").asText().equals("topic"))
                    topics.add(acl.at("/resource/name").asText());
            assertEquals(topicsOf(u.at("/metadata/name").asText()), topics, u.at("/metadata/name") + "'s topics");
        }
    }

    @Test
    void locallyAndInDevKafkaStaysPlaintext() throws Exception {
        for (JsonNode w : workloads(render("dev"))) {
            assertEquals(
                    null,
                    env(w.at("/spec/template/spec/containers").get(0), "CLINLORA_KAFKA_SECURITY_PROTOCOL"),
                    "dev uses the default (PLAINTEXT)");
        }
    }

    static String env(JsonNode container, String name) {
        for (JsonNode e : container.path("env"))
            if (e.path("name").asText().equals(name))
                return e.path("value").isMissingNode() ? null : e.path("value").asText();
        return null;
    }

    /** Whether the pod mounts a volume from this Secret or ConfigMap at this path. */
    static boolean mounts(JsonNode podSpec, String source, String path) {
        String volume = null;
        for (JsonNode v : podSpec.path("volumes")) {
            if (source.equals(v.at("/secret/secretName").asText())
                    || source.equals(v.at("/configMap/name").asText()))
                volume = v.path("name").asText();
        }
        if (volume == null) return false;
        for (JsonNode c : podSpec.path("containers"))
            for (JsonNode m : c.path("volumeMounts")) {
                if (volume.equals(m.path("name").asText())
                        && path.equals(m.path("mountPath").asText())) return true;
            }
        return false;
    }

    /** The topics one service's application.properties names. */
    static Set<String> topicsOf(String service) throws IOException {
        Set<String> topics = new TreeSet<>();
        Pattern key = Pattern.compile("mp\\.messaging\\.(incoming|outgoing)\\.[^.]+\\.(dead-letter-queue\\.)?topic");
        Properties p = new Properties();
        try (var in =
                Files.newInputStream(K8S.getParent().resolve(service + "/src/main/resources/application.properties"))) {
            p.load(in);
        }
        for (String k : p.stringPropertyNames())
            if (key.matcher(k).matches()) topics.add(p.getProperty(k).trim());
        return topics;
    }

    static List<JsonNode> containers(JsonNode d) {
        List<JsonNode> out = new ArrayList<>();
        for (String p :
                List.of("/spec/template/spec/containers", "/spec/template/spec/initContainers", "/spec/containers"))
            d.at(p).forEach(out::add);
        return out;
    }

    /** Every topic in the services' application.properties: incoming, outgoing and dead-letter. */
    static Set<String> topicsTheServicesUse() throws IOException {
        Set<String> topics = new TreeSet<>();
        for (String svc : KAFKA_CLIENTS) topics.addAll(topicsOf(svc));
        if (topics.isEmpty()) fail("no topics found in the services' application.properties");
        return topics;
    }

    static Stream<JsonNode> stream(JsonNode array) {
        List<JsonNode> l = new ArrayList<>();
        array.forEach(l::add);
        return l.stream();
    }

    static Set<String> minus(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.removeAll(b);
        return out;
    }
}
