package org.clinlora.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.MemoryEstimate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Renders every overlay the way {@code kubectl apply -k} would, without a cluster, and checks what an operator relies
 * on: probes, limits and the right image on every workload; GPU workloads on GPU nodes only, and GPUs held only while
 * they work; memory from the formula the services' own start-up check uses; scaling on the queues; a KafkaTopic for
 * every topic the services use; least privilege (one object-store user per service, NetworkPolicies, the restricted Pod
 * Security Standard); observability on; a serverless scorer a default Knative install takes.
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
    /** The overlays with GPU workloads: the scorer on a GPU, the trainer split into its API role and GPU workers. */
    static final Set<String> GPU_OVERLAYS = Set.of("gpu", "serverless");
    /** Overlays and their namespaces. */
    static final Map<String, String> NAMESPACES =
            Map.of("dev", "clinlora-dev", "cpu", "clinlora", "gpu", "clinlora", "serverless", "clinlora");

    static final YAMLMapper YAML = new YAMLMapper();
    /** The images, named once: base/kustomization.yaml's images (name to newName:newTag). */
    static final Map<String, String> IMAGES = baseImages();
    /** The version tag of the CPU images. */
    static final String TAG = IMAGES.get("clinlora/scorer-svc").replaceAll(".*:", "");

    static final long GIB = MemoryEstimate.GIB;
    /** The scorer's batch and note length, and the runtime's share, the formula is applied with (docs/DEPLOYING.md). */
    static final int ROWS = 8, SEQ_LEN = 512;

    static final long DEFAULT_RUNTIME = 1536L << 20;
    /** A GPU pod's host memory beside the runtime: one tensor in flight and the checkpoint's page cache. */
    static final long GPU_HOST_EXTRA = 2 * GIB;

    private static final Map<String, List<JsonNode>> RENDERS = new ConcurrentHashMap<>();

    /** The overlay's render (rendered once per test run; read-only). */
    static List<JsonNode> render(String overlay) throws Exception {
        List<JsonNode> docs = RENDERS.get(overlay);
        if (docs == null) {
            docs = List.copyOf(renderNow(overlay));
            RENDERS.put(overlay, docs);
        }
        return docs;
    }

    static List<JsonNode> renderNow(String overlay) throws Exception {
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

    static Map<String, String> baseImages() {
        try {
            JsonNode k = YAML.readTree(K8S.resolve("base/kustomization.yaml").toFile());
            Map<String, String> out = new TreeMap<>();
            for (JsonNode i : k.path("images"))
                out.put(
                        i.path("name").asText(),
                        i.path("newName").asText() + ":" + i.path("newTag").asText());
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The project version: the root POM's own version (the first after clinlora-parent's artifactId). */
    static String pomVersion() throws IOException {
        Matcher m = Pattern.compile("<artifactId>clinlora-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(K8S.getParent().resolve("pom.xml")));
        assertTrue(m.find(), "the root POM's version");
        return m.group(1).trim();
    }

    /** Whether a workload runs a model: the scorer, and the trainer wherever it runs jobs (not the gpu API role). */
    static boolean runsAModel(JsonNode workload) {
        String service = serviceOf(name(workload));
        return service.equals("scorer-svc")
                || (service.equals("trainer-svc")
                        && !"false".equals(env(container(workload), "CLINLORA_TRAINER_RUN_JOBS")));
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

    static Optional<JsonNode> find(List<JsonNode> docs, String kind, String name) {
        return kind(docs, kind).stream()
                .filter(d -> name.equals(d.at("/metadata/name").asText()))
                .findFirst();
    }

    static boolean knative(JsonNode d) {
        return d.path("apiVersion").asText().startsWith("serving.knative.dev/");
    }

    /** The workloads that run the services: Deployments, and the scorer's Knative Service in the serverless overlay. */
    static List<JsonNode> workloads(List<JsonNode> docs) {
        List<JsonNode> out = new ArrayList<>(kind(docs, "Deployment"));
        docs.stream().filter(KustomizeRenderTest::knative).forEach(out::add);
        return out;
    }

    /** Every pod template: workloads, MinIO's StatefulSet and its setup Job. */
    static List<JsonNode> podTemplates(List<JsonNode> docs) {
        List<JsonNode> out = new ArrayList<>(workloads(docs));
        out.addAll(kind(docs, "StatefulSet"));
        out.addAll(kind(docs, "Job"));
        return out;
    }

    static String name(JsonNode d) {
        return d.at("/metadata/name").asText();
    }

    /** The service a workload runs: trainer-worker is trainer-svc's GPU role. */
    static String serviceOf(String workload) {
        return workload.equals("trainer-worker") ? "trainer-svc" : workload;
    }

    static JsonNode container(JsonNode workload) {
        return workload.at("/spec/template/spec/containers").get(0);
    }

    static JsonNode scorer(List<JsonNode> docs) {
        return workloads(docs).stream()
                .filter(w -> name(w).equals("scorer-svc"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no scorer workload"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
    void everyServiceRunsTheRightImageWithProbesAndLimits(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        Set<String> seen = new TreeSet<>();
        for (JsonNode w : workloads(docs)) {
            String name = name(w);
            seen.add(name);
            for (JsonNode c : w.at("/spec/template/spec/containers")) {
                String where = overlay + " " + name + "/" + c.path("name").asText();
                boolean cuda =
                        name.equals("trainer-worker") || (name.equals("scorer-svc") && GPU_OVERLAYS.contains(overlay));
                String image = IMAGES.get("clinlora/" + serviceOf(name) + (cuda ? "-cuda" : ""));
                assertEquals(image, c.path("image").asText(), where + " image");
                assertTrue(
                        c.at("/livenessProbe/httpGet/path").asText().startsWith("/q/health/live"),
                        where + " liveness on /q/health/live");
                assertTrue(
                        c.at("/readinessProbe/httpGet/path").asText().startsWith("/q/health/ready"),
                        where + " readiness on /q/health/ready");
                if (!knative(w))
                    assertEquals(
                            "/q/health/started",
                            c.at("/startupProbe/httpGet/path").asText(),
                            where + " startup");
                for (String r : List.of("cpu", "memory")) {
                    assertFalse(c.at("/resources/requests/" + r).isMissingNode(), where + " requests " + r);
                    assertFalse(c.at("/resources/limits/" + r).isMissingNode(), where + " limits " + r);
                }
                assertEquals(
                        "false",
                        c.at("/securityContext/allowPrivilegeEscalation").asText(),
                        where + " no privilege escalation");
                for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe"))
                    if (c.has(probe))
                        assertEquals(
                                5, c.at("/" + probe + "/timeoutSeconds").asInt(), where + " " + probe + " timeout");
                if (runsAModel(w)) assertRunsAModelWithinItsLimits(c, where);
            }
            assertTrue(
                    w.at("/spec/template/spec/securityContext/runAsNonRoot").asBoolean()
                            || container(w).at("/securityContext/runAsNonRoot").asBoolean(),
                    overlay + " " + name + " runs as non-root");
        }
        Set<String> expected = new TreeSet<>(SERVICES);
        if (GPU_OVERLAYS.contains(overlay)) expected.add("trainer-worker");
        assertEquals(expected, seen, overlay + ": one workload per service (and the GPU trainer workers)");
    }

    /**
     * A container that runs a model: its heap bounded by JDK_JAVA_OPTIONS -Xmx (the images' run-java.sh would otherwise
     * take 80% of the limit) and inside the memory preflight's runtime term (CLINLORA_MEMORY_RUNTIME, 1536M by default:
     * a scorer's -Xmx1g), libtorch's threads = its CPU limit, and its refusal line (exit code 3) in the termination
     * message.
     */
    static void assertRunsAModelWithinItsLimits(JsonNode c, String where) {
        String heap = env(c, "JDK_JAVA_OPTIONS");
        assertTrue(heap != null && heap.matches("-Xmx\\d+[gm]"), where + " bounds its heap: " + heap);
        long heapBytes = Long.parseLong(heap.substring(4, heap.length() - 1)) << (heap.endsWith("g") ? 30 : 20);
        String runtime = env(c, "CLINLORA_MEMORY_RUNTIME");
        long runtimeBytes = size(runtime == null ? "1536M" : runtime);
        assertTrue(heapBytes < runtimeBytes, where + ": the heap " + heap + " fits the runtime term " + runtime);
        assertTrue(
                runtimeBytes < quantity(c.at("/resources/limits/memory").asText()),
                where + ": the runtime term fits the memory limit");
        assertEquals(
                c.at("/resources/limits/cpu").asText(),
                env(c, "OMP_NUM_THREADS"),
                where + " OpenMP threads = CPU limit");
        assertEquals(
                "FallbackToLogsOnError",
                c.path("terminationMessagePolicy").asText(),
                where + " shows its last log line in kubectl describe");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
    void noAutoscaledDeploymentSetsItsReplicas(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        Set<String> owned = new TreeSet<>();
        kind(docs, "HorizontalPodAutoscaler")
                .forEach(h -> owned.add(h.at("/spec/scaleTargetRef/name").asText()));
        kind(docs, "ScaledObject")
                .forEach(s -> owned.add(s.at("/spec/scaleTargetRef/name").asText()));
        for (JsonNode d : kind(docs, "Deployment"))
            if (owned.contains(name(d)))
                assertTrue(
                        d.at("/spec/replicas").isMissingNode(),
                        overlay + " " + name(d) + ": its autoscaler owns the count; a re-apply must not reset it");
    }

    @Test
    void imagesAreNamedInOnePlaceWithTheirCudaFlavours() throws IOException {
        // Tags that exist: images.yml pushes `main`/`main-cuda` for every CI-passed push to main, and X.Y.Z for a
        // release
        // (the POM's version without -SNAPSHOT); never a tag derived from a -SNAPSHOT version.
        String release = pomVersion().replace("-SNAPSHOT", "");
        assertTrue(
                TAG.equals("main") || (TAG.equals(release) && !pomVersion().endsWith("-SNAPSHOT")),
                "the image tag is `main` or the release " + release + ": " + TAG);
        for (String svc : SERVICES)
            assertTrue(IMAGES.get("clinlora/" + svc).matches("ghcr\\.io/[a-z0-9-]+/" + svc + ":" + TAG), svc);
        for (String svc : List.of("trainer-svc", "scorer-svc"))
            assertEquals(IMAGES.get("clinlora/" + svc) + "-cuda", IMAGES.get("clinlora/" + svc + "-cuda"), svc);
        try (Stream<Path> files = Files.walk(K8S.resolve("overlays"))) {
            for (Path f : files.filter(f -> f.getFileName().toString().equals("kustomization.yaml"))
                    .toList())
                assertFalse(
                        YAML.readTree(f.toFile()).has("images"),
                        f + " sets images: names and tags belong in base/kustomization.yaml");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpu", "serverless"})
    void gpuWorkloadsLandOnlyOnGpuNodesWithAGpuAndTheCudaLibtorch(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        Set<String> onGpus = new TreeSet<>();
        for (JsonNode w : workloads(docs)) {
            JsonNode spec = w.at("/spec/template/spec");
            JsonNode c = container(w);
            if (c.at("/resources/limits").path("nvidia.com/gpu").isMissingNode()) {
                assertTrue(spec.path("nodeSelector").isMissingNode(), name(w) + " is not pinned to GPU nodes");
                continue;
            }
            onGpus.add(name(w));
            assertEquals("1", c.at("/resources/limits").path("nvidia.com/gpu").asText(), name(w) + " one GPU");
            assertEquals("cu128", env(c, "PYTORCH_FLAVOR"), name(w) + ": DJL told to use the image's CUDA libtorch");
            assertEquals("/opt/libtorch/lib", env(c, "PYTORCH_LIBRARY_PATH"), name(w));
            if (knative(w)) continue; // placement without feature flags: the GPU request (serverlessScorer...)
            assertEquals(
                    "true",
                    spec.at("/nodeSelector").path("nvidia.com/gpu.present").asText(),
                    name(w) + " GPU nodes");
            assertTrue(
                    stream(spec.path("tolerations"))
                            .anyMatch(t -> t.path("key").asText().equals("nvidia.com/gpu")
                                    && t.path("effect").asText().equals("NoSchedule")),
                    name(w) + " tolerates the GPU taint");
        }
        assertEquals(Set.of("scorer-svc", "trainer-worker"), onGpus, "the GPU workloads");
        assertEquals("cuda", env(container(scorer(docs)), "CLINLORA_SCORER_DEVICE"));
        assertEquals("fp16", env(container(scorer(docs)), "CLINLORA_SCORER_PRECISION"));
        assertEquals(
                "Recreate",
                named(docs, "Deployment", "trainer-worker")
                        .at("/spec/strategy/type")
                        .asText(),
                "never two pods holding GPUs for one job slot");
        if (!overlay.equals("serverless")) {
            JsonNode strategy = named(docs, "Deployment", "scorer-svc").at("/spec/strategy");
            assertEquals("RollingUpdate", strategy.path("type").asText());
            assertEquals(0, strategy.at("/rollingUpdate/maxSurge").asInt(-1), "a scorer rollout needs no spare GPU");
            assertEquals(1, strategy.at("/rollingUpdate/maxUnavailable").asInt());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpu", "serverless"})
    void noGpuIsHeldWhileNoJobRuns(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        JsonNode api = named(docs, "Deployment", "trainer-svc");
        JsonNode worker = named(docs, "Deployment", "trainer-worker");
        assertEquals("false", env(container(api), "CLINLORA_TRAINER_RUN_JOBS"), "trainer-svc is the API role");
        assertEquals("true", env(container(worker), "CLINLORA_TRAINER_RUN_JOBS"), "trainer-worker runs the jobs");
        assertTrue(worker.at("/spec/replicas").isMissingNode(), "KEDA owns the worker count: a re-apply keeps it");
        JsonNode so = named(docs, "ScaledObject", "trainer-worker");
        assertEquals("trainer-worker", so.at("/spec/scaleTargetRef/name").asText());
        assertEquals(0, so.at("/spec/minReplicaCount").asInt(-1), "scales to zero");
        JsonNode trigger = so.at("/spec/triggers/0");
        assertEquals("prometheus", trigger.path("type").asText());
        assertTrue(
                trigger.at("/metadata/query").asText().contains("clinlora_trainer_jobs_pending"),
                "scales on the jobs not finished yet");
        JsonNode selector = named(docs, "Service", "trainer-svc").at("/spec/selector");
        assertTrue(selects(selector, api), "trainer-svc's Service selects the API pods");
        assertFalse(selects(selector, worker), "and not the workers");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu", "serverless"})
    void theScorersMemoryIsTheFormulaForItsModel(String overlay) throws Exception {
        JsonNode scorer = scorer(render(overlay));
        JsonNode c = container(scorer);
        String model = env(c, "CLINLORA_SCORER_BASE_MODEL");
        boolean cuda = "cuda".equals(env(c, "CLINLORA_SCORER_DEVICE"));
        Compute.Precision precision =
                "fp16".equals(env(c, "CLINLORA_SCORER_PRECISION")) ? Compute.Precision.FP16 : Compute.Precision.FP32;
        String runtime = env(c, "CLINLORA_MEMORY_RUNTIME");
        MemoryEstimate e = MemoryEstimate.forServing(
                modelConfig(model), precision, ROWS, SEQ_LEN, runtime == null ? DEFAULT_RUNTIME : size(runtime));
        long need = cuda ? e.hostBytesBesideGpu() + GPU_HOST_EXTRA : e.hostBytes();
        String expected = (need + GIB - 1) / GIB + "Gi";
        String where = overlay + " scorer (" + model + ", " + precision + ", " + (cuda ? "cuda" : "cpu") + ", "
                + e.describe() + ")";
        assertEquals(expected, c.at("/resources/requests/memory").asText(), where + " memory request");
        assertEquals(expected, c.at("/resources/limits/memory").asText(), where + " memory limit");
        assertEquals(
                c.at("/resources/requests/cpu").asText(),
                c.at("/resources/limits/cpu").asText(),
                where + ": requests = limits (Guaranteed QoS)");
        assertEquals(Compute.Precision.FP16, precision, where + " stores its weights in fp16");
        long cache = cacheVolumeBytes(scorer, env(c, "CLINLORA_SCORER_CACHE"));
        assertTrue(cache >= e.weightBytes(), where + ": the model cache volume holds the checkpoint");
        if (knative(scorer)) {
            String deadline = scorer.at("/spec/template/metadata/annotations")
                    .path("serving.knative.dev/progress-deadline")
                    .asText("0s");
            assertTrue(seconds(deadline) >= 20 * 60, where + ": Knative waits at least 20 min for the model");
        } else {
            JsonNode probe = c.path("startupProbe");
            assertTrue(
                    probe.path("periodSeconds").asInt()
                                    * probe.path("failureThreshold").asInt()
                            >= 20 * 60,
                    where + ": the startup probe waits at least 20 min for fetching and loading the model");
        }
    }

    /** The config.json of a served model, kept under src/test/resources/models/{id}/ (the model id is the key). */
    static BaseModelConfig modelConfig(String id) throws IOException {
        Path p = K8S.resolve("src/test/resources/models/" + id + "/config.json");
        assertTrue(Files.exists(p), "no config.json for model " + id + " under src/test/resources/models/");
        return BaseModelConfig.read(p);
    }

    static long cacheVolumeBytes(JsonNode workload, String mountPath) {
        JsonNode spec = workload.at("/spec/template/spec");
        String volume = stream(spec.path("containers").get(0).path("volumeMounts"))
                .filter(m -> m.path("mountPath").asText().equals(mountPath))
                .map(m -> m.path("name").asText())
                .findFirst()
                .orElseThrow(() -> new AssertionError("nothing mounted at " + mountPath));
        JsonNode v = stream(spec.path("volumes"))
                .filter(x -> x.path("name").asText().equals(volume))
                .findFirst()
                .orElseThrow();
        return quantity(v.at("/emptyDir/sizeLimit").asText("0"));
    }

    @Test
    void theDevOverlayIsCpuOnlyWithSingleReplicasAndTheClisIssuer() throws Exception {
        List<JsonNode> docs = render("dev");
        for (JsonNode d : kind(docs, "Deployment")) {
            Optional<JsonNode> hpa = find(docs, "HorizontalPodAutoscaler", name(d));
            if (hpa.isPresent())
                assertEquals(
                        1, hpa.get().at("/spec/minReplicas").asInt(), name(d) + " one replica (its HPA's minimum)");
            else assertEquals(1, d.at("/spec/replicas").asInt(), name(d) + " one replica");
            assertTrue(d.at("/spec/template/spec/nodeSelector").isMissingNode(), name(d) + " no node selector");
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
        assertEquals(
                "https://clinlora.local/dev",
                named(docs, "ConfigMap", "clinlora-config")
                        .at("/data/CLINLORA_JWT_ISSUER")
                        .asText(),
                "dev accepts the tokens ./clinlora token mints");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
    void everythingLivesInTheOverlaysNamespaceWhichEnforcesRestricted(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        String ns = NAMESPACES.get(overlay);
        JsonNode namespace = named(docs, "Namespace", ns);
        assertEquals(
                "restricted",
                namespace
                        .at("/metadata/labels/pod-security.kubernetes.io~1enforce")
                        .asText());
        for (JsonNode d : docs)
            if (!d.path("kind").asText().equals("Namespace"))
                assertEquals(
                        ns, d.at("/metadata/namespace").asText(), d.path("kind").asText() + " " + name(d));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
    void everyPodPassesTheRestrictedPodSecurityStandard(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        for (JsonNode d : podTemplates(docs)) {
            List<String> v = PodSecurity.restrictedViolations(d.at("/spec/template/spec"));
            assertTrue(v.isEmpty(), overlay + " " + d.path("kind").asText() + " " + name(d) + ": " + v);
        }
        JsonNode kafka = kind(docs, "Kafka").get(0);
        for (String p : List.of(
                "/spec/kafka/template/kafkaContainer",
                "/spec/entityOperator/template/topicOperatorContainer",
                "/spec/entityOperator/template/userOperatorContainer")) {
            List<String> v = PodSecurity.container(kafka.at(p), "", false);
            assertTrue(v.isEmpty(), overlay + " Strimzi " + p + ": " + v);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
    void everyWorkloadThatMayRunMoreThanOnePodHasADisruptionBudget(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        Map<String, Integer> maxReplicas = new HashMap<>();
        for (JsonNode h : kind(docs, "HorizontalPodAutoscaler"))
            maxReplicas.put(
                    h.at("/spec/scaleTargetRef/name").asText(),
                    h.at("/spec/maxReplicas").asInt());
        for (JsonNode s : kind(docs, "ScaledObject"))
            maxReplicas.put(
                    s.at("/spec/scaleTargetRef/name").asText(),
                    s.at("/spec/maxReplicaCount").asInt(100));
        for (JsonNode d : kind(docs, "Deployment")) {
            int max = Math.max(d.at("/spec/replicas").asInt(1), maxReplicas.getOrDefault(name(d), 0));
            if (max <= 1) continue;
            assertTrue(
                    kind(docs, "PodDisruptionBudget").stream()
                            .anyMatch(p -> selects(p.at("/spec/selector"), d)
                                    && (p.at("/spec/maxUnavailable").asInt() >= 1
                                            || p.at("/spec/minAvailable").asInt(0)
                                                    < d.at("/spec/replicas").asInt())),
                    overlay + " " + name(d) + " (up to " + max + " pods) has a PodDisruptionBudget that lets drains"
                            + " proceed");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
    void theScorerAndTheTokenizerScaleOnTheirQueuesOrOnCpuWithoutKeda(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        Set<String> hpaTargets = new TreeSet<>();
        for (JsonNode h : kind(docs, "HorizontalPodAutoscaler")) {
            assertEquals("Deployment", h.at("/spec/scaleTargetRef/kind").asText());
            assertTrue(h.at("/spec/maxReplicas").asInt()
                    > h.at("/spec/minReplicas").asInt());
            hpaTargets.add(h.at("/spec/scaleTargetRef/name").asText());
        }
        Set<String> kedaTargets = new TreeSet<>();
        kind(docs, "ScaledObject")
                .forEach(s -> kedaTargets.add(s.at("/spec/scaleTargetRef/name").asText()));
        assertTrue(
                minus(hpaTargets, kedaTargets).equals(hpaTargets),
                "an HPA and a ScaledObject on one Deployment would fight: " + hpaTargets + " " + kedaTargets);
        boolean keda = GPU_OVERLAYS.contains(overlay);
        Set<String> scaled = keda ? kedaTargets : hpaTargets;
        assertTrue(scaled.contains("tokenizer-svc"), overlay + " scales the tokenizer");
        if (!overlay.equals("serverless")) assertTrue(scaled.contains("scorer-svc"), overlay + " scales the scorer");
        if (!keda) {
            assertTrue(kedaTargets.isEmpty(), overlay + " needs no KEDA");
            return;
        }
        assertKafkaLagTrigger(docs, "tokenizer-svc", "notes-raw");
        if (!overlay.equals("serverless")) {
            assertKafkaLagTrigger(docs, "scorer-svc", "scores-requests");
            assertTrue(
                    stream(named(docs, "ScaledObject", "scorer-svc").at("/spec/triggers"))
                            .anyMatch(t -> t.path("type").asText().equals("cpu")),
                    "the scorer also scales on CPU (HTTP callers)");
        }
    }

    /** The ScaledObject of {@code service} scales on the lag of the channel's topic for the channel's own group. */
    static void assertKafkaLagTrigger(List<JsonNode> docs, String service, String channel) throws IOException {
        Properties p = properties(service);
        String prefix = "mp.messaging.incoming." + channel + ".";
        JsonNode t = stream(named(docs, "ScaledObject", service).at("/spec/triggers"))
                .filter(x -> x.path("type").asText().equals("kafka"))
                .findFirst()
                .orElseThrow(() -> new AssertionError(service + " has no Kafka trigger"));
        assertEquals(p.getProperty(prefix + "topic"), t.at("/metadata/topic").asText(), service + " topic");
        assertEquals(
                p.getProperty(prefix + "group.id"),
                t.at("/metadata/consumerGroup").asText(),
                service + " group");
        assertTrue(
                t.at("/metadata/bootstrapServers").asText().startsWith("clinlora-kafka-kafka-bootstrap.clinlora.svc:"),
                service + ": KEDA's operator reaches the brokers by their namespaced name");
        assertEquals("clinlora-kafka", t.at("/authenticationRef/name").asText(), service + " Kafka login");
    }

    @Test
    void theServerlessScorerAppliesOnADefaultKnativeInstallAndScalesToZero() throws Exception {
        List<JsonNode> docs = render("serverless");
        JsonNode ksvc = scorer(docs);
        assertTrue(knative(ksvc), "the scorer is a Knative Service");
        assertEquals("clinlora", ksvc.at("/metadata/namespace").asText(), "beside its Secrets");
        JsonNode spec = ksvc.at("/spec/template/spec");
        // Fields a default Knative Serving install refuses (each needs a kubernetes.podspec-* feature flag).
        for (String flagged : List.of(
                "securityContext",
                "nodeSelector",
                "tolerations",
                "affinity",
                "runtimeClassName",
                "priorityClassName",
                "initContainers",
                "hostAliases",
                "topologySpreadConstraints",
                "dnsPolicy",
                "dnsConfig",
                "schedulerName"))
            assertFalse(spec.has(flagged), "the Knative scorer sets " + flagged + ", behind a feature flag");
        for (JsonNode v : spec.path("volumes"))
            assertTrue(
                    v.has("secret") || v.has("configMap") || v.has("projected") || v.has("emptyDir"),
                    "volume " + v.path("name").asText() + " of a type a default install allows");
        JsonNode c = container(ksvc);
        assertFalse(c.has("startupProbe"), "Knative before 1.15 refuses a startup probe");
        assertEquals(
                "0",
                ksvc.at("/spec/template/metadata/annotations")
                        .path("autoscaling.knative.dev/min-scale")
                        .asText());
        for (String kind : List.of("HorizontalPodAutoscaler", "PodDisruptionBudget", "ScaledObject"))
            assertTrue(find(docs, kind, "scorer-svc").isEmpty(), "Knative scales the scorer, no " + kind);
        assertTrue(
                docs.stream()
                        .noneMatch(d -> d.path("apiVersion").asText().equals("v1")
                                && d.path("kind").asText().equals("Service")
                                && name(d).equals("scorer-svc")),
                "Knative owns the scorer's Kubernetes Service name");
        assertEquals(
                "http://scorer-svc.clinlora.svc.cluster.local",
                env(container(named(docs, "Deployment", "console-svc")), "CLINLORA_SCORER_URL"),
                "the console calls the Knative Service's cluster-local address on port 80");
        JsonNode podMonitor = named(docs, "PodMonitor", "scorer-svc");
        assertEquals(
                "user-port", podMonitor.at("/spec/podMetricsEndpoints/0/port").asText());
        assertTrue(NetworkFlows.matches(podMonitor.at("/spec/selector"), labels(ksvc)), "the PodMonitor finds it");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu"})
    void theConsoleCallsTheScorersService(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        assertEquals(
                "http://scorer-svc:"
                        + named(docs, "Service", "scorer-svc")
                                .at("/spec/ports/0/port")
                                .asInt(),
                env(container(named(docs, "Deployment", "console-svc")), "CLINLORA_SCORER_URL"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
    void prometheusScrapesEveryServiceAndTheGrafanaDashboardReadsWhatTheyExport(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        JsonNode monitor = named(docs, "ServiceMonitor", "clinlora");
        assertEquals("/q/metrics", monitor.at("/spec/endpoints/0/path").asText());
        assertEquals("http", monitor.at("/spec/endpoints/0/port").asText());
        for (JsonNode w : workloads(docs)) {
            boolean byService = kind(docs, "Service").stream()
                    .filter(s -> NetworkFlows.matches(monitor.at("/spec/selector"), labelsOf(s)))
                    .anyMatch(s ->
                            s.at("/spec/ports/0/name").asText().equals("http") && selects(s.at("/spec/selector"), w));
            boolean byPod = kind(docs, "PodMonitor").stream()
                    .anyMatch(m -> NetworkFlows.matches(m.at("/spec/selector"), labels(w))
                            && m.at("/spec/podMetricsEndpoints/0/path").asText().equals("/q/metrics"));
            assertTrue(byService ^ byPod, overlay + " " + name(w) + " is scraped exactly once");
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
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
    void jsonLogsTracingAndAlertsAreOn(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        JsonNode config = named(docs, "ConfigMap", "clinlora-config").path("data");
        assertEquals("true", config.path("CLINLORA_LOG_JSON").asText(), "JSON log lines");
        assertEquals("false", config.path("CLINLORA_TRACING_DISABLED").asText(), "traces on");
        Matcher m = Pattern.compile("https?://[a-z0-9-]+\\.([a-z0-9-]+)\\.svc(\\.cluster\\.local)?:(\\d+)")
                .matcher(config.path("CLINLORA_OTLP_ENDPOINT").asText());
        assertTrue(m.matches(), "the collector: http://<service>.<namespace>.svc:<port>");
        JsonNode otlp = named(docs, "NetworkPolicy", "allow-otlp-egress").at("/spec/egress/0");
        assertEquals(
                m.group(1),
                otlp.at("/to/0/namespaceSelector/matchLabels")
                        .path("kubernetes.io/metadata.name")
                        .asText(),
                "the services may reach the collector's namespace");
        assertEquals(Integer.parseInt(m.group(3)), otlp.at("/ports/0/port").asInt(), "on its port");
        for (JsonNode w : workloads(docs)) {
            JsonNode c = container(w);
            assertTrue(
                    stream(c.path("envFrom"))
                            .anyMatch(e -> e.at("/configMapRef/name").asText().equals("clinlora-config")),
                    name(w) + " reads clinlora-config");
            for (String k : List.of("CLINLORA_LOG_JSON", "CLINLORA_TRACING_DISABLED", "CLINLORA_OTLP_ENDPOINT"))
                assertEquals(null, env(c, k), name(w) + " does not override " + k);
        }
        String rules =
                named(docs, "PrometheusRule", "clinlora").at("/spec/groups").toString();
        for (String expr : List.of(
                "http_server_requests_seconds_count{status=~\\\"5..\\\"}", // error rate
                "histogram_quantile(0.99", // p99 latency
                "clinlora_scorer_queue_rows", // queue depth
                "http_server_requests_seconds_bucket", // the APIs' p99 latency
                "kafka_consumergroup_lag{topic=~", // consumer lag (Strimzi's Kafka Exporter)
                "clinlora_trainer_jobs_finished_total{status=\\\"failed\\\"}", // failed jobs
                "max_over_time(clinlora_scorer_model_loaded[30m])) == 0", // a scorer without its model
                "kube_pod_container_status_last_terminated_exitcode{container=\\\"scorer-svc\\\"}) == 3")) // refused
        assertTrue(rules.contains(expr), overlay + ": an alert on " + expr);
        for (String topic : List.of("scores.requests", "notes.raw", "training.requests", "adapters.events"))
            assertTrue(rules.contains(topic), overlay + ": the lag alert covers " + topic);
        JsonNode kafka = kind(docs, "Kafka").get(0);
        assertEquals(".*", kafka.at("/spec/kafkaExporter/groupRegex").asText(), "Strimzi's Kafka Exporter on");
        JsonNode exporter = named(docs, "PodMonitor", "clinlora-kafka-exporter");
        Map<String, String> exporterPod = Map.of(
                "strimzi.io/kind",
                "Kafka",
                "strimzi.io/name",
                name(kafka) + "-kafka-exporter",
                "strimzi.io/cluster",
                name(kafka));
        assertTrue(
                NetworkFlows.matches(exporter.at("/spec/selector"), exporterPod), "the PodMonitor finds the exporter");
        assertEquals(
                "tcp-prometheus",
                exporter.at("/spec/podMetricsEndpoints/0/port").asText());
        NetworkFlows flows = new NetworkFlows(NAMESPACES.get(overlay), kind(docs, "NetworkPolicy"));
        NetworkFlows.Pod from = new NetworkFlows.Pod("exporter", NAMESPACES.get(overlay), exporterPod);
        NetworkFlows.Pod prometheus =
                new NetworkFlows.Pod("prometheus", "monitoring", Map.of("app.kubernetes.io/name", "prometheus"));
        NetworkFlows.Pod broker = new NetworkFlows.Pod(
                "kafka",
                NAMESPACES.get(overlay),
                Map.of("strimzi.io/cluster", name(kafka), "strimzi.io/broker-role", "true"));
        assertTrue(flows.allowed(prometheus, from, 9404), overlay + ": Prometheus scrapes the Kafka Exporter");
        assertTrue(flows.allowed(from, broker, 9091), overlay + ": the Kafka Exporter reads the brokers");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
    void everyTopicTheServicesUseIsAKafkaTopicOfTheClusterTheyPointAt(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        JsonNode kafka = kind(docs, "Kafka").get(0);
        String cluster = name(kafka);
        Set<String> declared = new TreeSet<>();
        for (JsonNode t : kind(docs, "KafkaTopic")) {
            assertEquals(
                    cluster,
                    t.at("/metadata/labels").path("strimzi.io/cluster").asText(),
                    name(t) + " belongs to " + cluster);
            declared.add(topicName(t));
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
                cluster + "-kafka-bootstrap:9093",
                config.path("CLINLORA_KAFKA_BOOTSTRAP").asText(),
                "services point at Strimzi's bootstrap service, its TLS listener");
        String s3 = config.path("CLINLORA_S3_ENDPOINT").asText();
        assertTrue(
                kind(docs, "Service").stream()
                        .anyMatch(s -> s3.equals("https://" + name(s) + ":"
                                + s.at("/spec/ports/0/port").asInt())),
                "the S3 endpoint " + s3 + " is the MinIO Service, over TLS");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
    void deadLetterTopicsKeepNothingLongerThanTheirSources(String overlay) throws Exception {
        Map<String, Long> retention = new TreeMap<>();
        for (JsonNode t : kind(render(overlay), "KafkaTopic")) {
            JsonNode ms = t.at("/spec/config").path("retention.ms");
            assertTrue(ms.canConvertToLong(), topicName(t) + " sets its retention");
            retention.put(topicName(t), ms.asLong());
        }
        retention.forEach((topic, ms) -> {
            if (!topic.endsWith(".dlq")) return;
            Long source = retention.get(topic.substring(0, topic.length() - ".dlq".length()));
            assertNotNull(source, topic + " has its source topic");
            assertTrue(ms <= source, topic + " keeps " + ms + " ms, its source " + source + " ms");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
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
                                overlay + " " + name(d) + ": " + e.path("name").asText() + " must come from a Secret");
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
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
    void eachServiceHasItsOwnObjectStoreUserAndOnlyMinioHoldsTheRoot(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        for (JsonNode w : workloads(docs)) {
            String own = "clinlora-s3-" + serviceOf(name(w));
            for (String v : List.of("CLINLORA_S3_ACCESS_KEY", "CLINLORA_S3_SECRET_KEY"))
                assertEquals(own, secretOf(container(w), v), overlay + " " + name(w) + " " + v + " from " + own);
        }
        Set<String> holders = new TreeSet<>();
        for (JsonNode d : docs) {
            if (secretsReferenced(d).contains("clinlora-minio-root"))
                holders.add(d.path("kind").asText() + "/" + name(d));
        }
        assertEquals(
                Set.of("StatefulSet/minio", "Job/minio-setup"),
                holders,
                "the root credentials reach MinIO and its setup Job only");
        // The setup Job makes one user per service from its Secret, with the policy of the same name.
        JsonNode job = named(docs, "Job", "minio-setup");
        Set<String> s3Secrets = new TreeSet<>(secretsReferenced(job));
        s3Secrets.remove("clinlora-minio-root");
        s3Secrets.remove("clinlora-minio-tls"); // its CA only (objectStoreIsTlsOnlyAndVersioned)
        Set<String> expected = new TreeSet<>();
        SERVICES.forEach(s -> expected.add("clinlora-s3-" + s));
        assertEquals(expected, s3Secrets, "the setup Job creates a user for every service");
        JsonNode policies = named(docs, "ConfigMap", "clinlora-minio-policies").path("data");
        String bucket = named(docs, "ConfigMap", "clinlora-config")
                .at("/data/CLINLORA_S3_BUCKET")
                .asText();
        for (String s : SERVICES) {
            JsonNode policy =
                    new ObjectMapper().readTree(policies.path(s + ".json").asText());
            Set<String> writes = new TreeSet<>();
            for (JsonNode st : policy.path("Statement")) {
                for (JsonNode r : st.path("Resource"))
                    assertTrue(
                            r.asText().matches("arn:aws:s3:::" + bucket + "(/[a-z-]+/([a-z-]+/)?\\*)?"), s + " " + r);
                if (st.path("Action").toString().contains("s3:PutObject"))
                    st.path("Resource")
                            .forEach(r -> writes.add(r.asText().replace("arn:aws:s3:::" + bucket + "/", "")));
            }
            if (s.equals("console-svc")) assertEquals(Set.of(), writes, "the console only reads");
            if (s.equals("scorer-svc"))
                assertEquals(Set.of("score-requests/*"), writes, "the scorer writes only its answered-request markers");
            for (String w : writes) assertFalse(w.equals("*") || w.startsWith("*"), s + " writes under prefixes only");
        }
    }

    static String secretOf(JsonNode container, String env) {
        for (JsonNode e : container.path("env"))
            if (e.path("name").asText().equals(env))
                return e.at("/valueFrom/secretKeyRef/name").asText(null);
        return null;
    }

    /** Every Secret an object refers to: env, envFrom and volumes. */
    static Set<String> secretsReferenced(JsonNode d) {
        Set<String> out = new TreeSet<>();
        for (JsonNode c : containers(d)) {
            c.path("env").forEach(e -> {
                if (e.at("/valueFrom/secretKeyRef/name").isTextual())
                    out.add(e.at("/valueFrom/secretKeyRef/name").asText());
            });
            c.path("envFrom").forEach(e -> {
                if (e.at("/secretRef/name").isTextual())
                    out.add(e.at("/secretRef/name").asText());
            });
        }
        d.at("/spec/template/spec/volumes").forEach(v -> {
            if (v.at("/secret/secretName").isTextual())
                out.add(v.at("/secret/secretName").asText());
            v.at("/projected/sources").forEach(s -> {
                if (s.at("/secret/name").isTextual())
                    out.add(s.at("/secret/name").asText());
            });
        });
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
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
            String service = serviceOf(name(w));
            JsonNode spec = w.at("/spec/template/spec");
            assertTrue(
                    mounts(spec, "clinlora-jwt-public-key", "/etc/clinlora/jwt"),
                    name(w) + " mounts the verification key");
            String tokenFile = env(container(w), "CLINLORA_SERVICE_TOKEN_FILE");
            if (service.equals("trainer-svc") || service.equals("scorer-svc")) {
                assertEquals("/etc/clinlora/token/token", tokenFile, name(w) + " calls the registry with its token");
                assertTrue(
                        mounts(spec, "clinlora-" + service + "-token", "/etc/clinlora/token"),
                        name(w) + "'s token comes from its service's own Secret");
            } else {
                assertEquals(null, tokenFile, name(w) + " calls no service and holds no token");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
    void kafkaIsTlsWithOneScramUserAndItsAclsPerService(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        JsonNode kafka = kind(docs, "Kafka").get(0);
        assertEquals("simple", kafka.at("/spec/kafka/authorization/type").asText(), "Kafka enforces ACLs");
        for (JsonNode l : kafka.at("/spec/kafka/listeners"))
            assertTrue(
                    l.path("tls").asBoolean() && l.has("authentication"),
                    overlay + ": listener " + l.path("name").asText() + " is TLS with authentication (no plaintext)");
        Set<String> users = new TreeSet<>();
        for (JsonNode u : kind(docs, "KafkaUser")) {
            assertTrue(u.at("/spec/authorization/acls").size() > 0, name(u) + " has ACLs");
            if (name(u).equals("clinlora-keda")) continue; // kedaReadsLagOnly
            users.add(name(u));
            assertEquals("scram-sha-512", u.at("/spec/authentication/type").asText());
        }
        assertEquals(new TreeSet<>(KAFKA_CLIENTS), users, "one Kafka user per service that uses Kafka");
        for (JsonNode w : workloads(docs)) {
            String service = serviceOf(name(w));
            JsonNode c = container(w);
            if (!KAFKA_CLIENTS.contains(service)) {
                assertEquals(null, env(c, "CLINLORA_KAFKA_SASL_MECHANISM"), name(w) + " holds no Kafka credentials");
                continue;
            }
            assertEquals("SASL_SSL", env(c, "CLINLORA_KAFKA_SECURITY_PROTOCOL"), name(w));
            assertEquals("SCRAM-SHA-512", env(c, "CLINLORA_KAFKA_SASL_MECHANISM"), name(w));
            assertTrue(
                    effective(docs, c, "CLINLORA_KAFKA_BOOTSTRAP").endsWith(":9093"),
                    name(w) + " uses the TLS listener");
            assertEquals(service, secretOf(c, "CLINLORA_KAFKA_SASL_JAAS_CONFIG"), name(w) + " logs in as its user");
            assertEquals(
                    "clinlora-kafka-cluster-ca-cert",
                    secretOf(c, "CLINLORA_KAFKA_TRUSTSTORE_PASSWORD"),
                    name(w) + " trusts the cluster CA");
            String truststore = env(c, "CLINLORA_KAFKA_TRUSTSTORE_LOCATION");
            assertTrue(
                    mounts(w.at("/spec/template/spec"), "clinlora-kafka-cluster-ca-cert", parent(truststore)),
                    name(w) + " mounts the cluster CA where " + truststore + " is");
        }
        // Each user may touch only the topics its service uses (its application.properties).
        for (JsonNode u : kind(docs, "KafkaUser")) {
            if (name(u).equals("clinlora-keda")) continue;
            Set<String> topics = new TreeSet<>();
            for (JsonNode acl : u.at("/spec/authorization/acls"))
                if (acl.at("/resource/type").asText().equals("topic"))
                    topics.add(acl.at("/resource/name").asText());
            assertEquals(topicsOf(name(u)), topics, name(u) + "'s topics");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpu", "serverless"})
    void kedaReadsTheLagWithItsOwnDescribeOnlyUser(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        JsonNode user = named(docs, "KafkaUser", "clinlora-keda");
        assertEquals("tls", user.at("/spec/authentication/type").asText(), "a client certificate");
        for (JsonNode acl : user.at("/spec/authorization/acls"))
            assertEquals("[\"Describe\"]", acl.path("operations").toString(), "KEDA only describes");
        JsonNode listener = stream(kind(docs, "Kafka").get(0).at("/spec/kafka/listeners"))
                .filter(l -> l.at("/authentication/type").asText().equals("tls"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no mutual-TLS listener"));
        JsonNode auth = named(docs, "TriggerAuthentication", "clinlora-kafka");
        Set<String> params = new TreeSet<>();
        auth.at("/spec/secretTargetRef")
                .forEach(r -> params.add(r.path("parameter").asText()));
        assertEquals(Set.of("ca", "cert", "key"), params);
        for (JsonNode so : kind(docs, "ScaledObject"))
            for (JsonNode t : so.at("/spec/triggers"))
                if (t.path("type").asText().equals("kafka")) {
                    assertTrue(t.at("/metadata/bootstrapServers")
                            .asText()
                            .endsWith(":" + listener.path("port").asInt()));
                    assertEquals("enable", t.at("/metadata/tls").asText());
                }
    }

    /**
     * MinIO serves TLS with Secret clinlora-minio-tls (the names MinIO reads in its --certs-dir) and is probed over
     * HTTPS; every workload and the setup Job trust its CA and nothing else of that Secret (never the private key); the
     * setup Job turns the bucket's versioning on.
     */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
    void objectStoreIsTlsOnlyAndVersioned(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        JsonNode minio = named(docs, "StatefulSet", "minio");
        JsonNode c = container(minio);
        List<String> args = new ArrayList<>();
        c.path("args").forEach(a -> args.add(a.asText()));
        String certsDir = args.get(args.indexOf("--certs-dir") + 1);
        JsonNode tls = volumeOf(minio.at("/spec/template/spec"), "clinlora-minio-tls", certsDir);
        assertEquals(
                "{tls.crt=public.crt, tls.key=private.key, ca.crt=CAs/ca.crt}",
                items(tls).toString(),
                overlay + ": MinIO's certificate, key and CA where --certs-dir has them");
        for (String probe : List.of("livenessProbe", "readinessProbe"))
            assertEquals("HTTPS", c.at("/" + probe + "/httpGet/scheme").asText(), overlay + " MinIO " + probe);
        JsonNode config = named(docs, "ConfigMap", "clinlora-config").path("data");
        assertTrue(config.path("CLINLORA_S3_ENDPOINT").asText().startsWith("https://"), "the store over TLS");
        String caFile = config.path("CLINLORA_S3_CA_FILE").asText();
        List<JsonNode> trusting = new ArrayList<>(workloads(docs));
        trusting.add(named(docs, "Job", "minio-setup"));
        for (JsonNode w : trusting) {
            JsonNode ca = volumeOf(w.at("/spec/template/spec"), "clinlora-minio-tls", parent(caFile));
            assertEquals("{ca.crt=ca.crt}", items(ca).toString(), name(w) + " mounts only the CA: " + caFile);
        }
        JsonNode job = container(named(docs, "Job", "minio-setup"));
        assertEquals(caFile, env(job, "SSL_CERT_FILE"), "mc (Go) trusts the same CA");
        String script = job.path("args").get(0).asText();
        assertTrue(
                script.contains("mc version enable --excluded-prefixes \"$UNVERSIONED_PREFIXES\" "
                        + "\"store/$CLINLORA_S3_BUCKET\""),
                "the setup Job turns versioning on: " + script);
        for (String p : env(job, "UNVERSIONED_PREFIXES").split(","))
            assertTrue(p.matches("[a-z-]+/\\*") && !VERSIONED.contains(p.replace("/*", "")), p);
        assertTrue(env(job, "UNVERSIONED_PREFIXES").split(",").length <= 10, "MinIO excludes at most 10 prefixes");
    }

    /** What versioning must keep: the registry's publications and base models (StoreLayout). */
    static final Set<String> VERSIONED = Set.of("adapters", "adapter-aliases", "adapter-children", "models");

    /** The volume from Secret {@code secret} that the pod's first container mounts at {@code path}. */
    static JsonNode volumeOf(JsonNode podSpec, String secret, String path) {
        assertTrue(mounts(podSpec, secret, path), "Secret " + secret + " is mounted at " + path);
        for (JsonNode v : podSpec.path("volumes"))
            if (secret.equals(v.at("/secret/secretName").asText())) return v.path("secret");
        throw new AssertionError("no volume of Secret " + secret);
    }

    /** A Secret volume's items, key to path in order. */
    static Map<String, String> items(JsonNode secretVolume) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode i : secretVolume.path("items"))
            out.put(i.path("key").asText(), i.path("path").asText());
        return out;
    }

    static String parent(String file) {
        return file.substring(0, file.lastIndexOf('/'));
    }

    /** A variable as the container sees it: its own env, else the ConfigMaps it takes whole (envFrom). */
    static String effective(List<JsonNode> docs, JsonNode container, String name) {
        String own = env(container, name);
        if (own != null) return own;
        for (JsonNode from : container.path("envFrom")) {
            String cm = from.at("/configMapRef/name").asText();
            Optional<JsonNode> m = find(docs, "ConfigMap", cm);
            if (m.isPresent() && m.get().at("/data").has(name))
                return m.get().at("/data/" + name).asText();
        }
        return null;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "cpu", "gpu", "serverless"})
    void networkPoliciesDenyByDefaultAndAllowExactlyTheArchitecturesFlows(String overlay) throws Exception {
        List<JsonNode> docs = render(overlay);
        String ns = NAMESPACES.get(overlay);
        List<JsonNode> policies = kind(docs, "NetworkPolicy");
        assertTrue(
                policies.stream()
                        .anyMatch(p -> p.at("/spec/podSelector").isEmpty()
                                && p.at("/spec/policyTypes").toString().equals("[\"Ingress\",\"Egress\"]")
                                && !p.at("/spec").has("ingress")
                                && !p.at("/spec").has("egress")),
                "a default-deny policy for ingress and egress");
        NetworkFlows flows = new NetworkFlows(ns, policies);
        Map<String, NetworkFlows.Pod> pods = new TreeMap<>();
        for (JsonNode d : podTemplates(docs)) pods.put(name(d), new NetworkFlows.Pod(name(d), ns, labels(d)));
        pods.put(
                "kafka",
                new NetworkFlows.Pod(
                        "kafka", ns, Map.of("strimzi.io/cluster", "clinlora-kafka", "strimzi.io/broker-role", "true")));
        Map<String, Set<String>> expected = expectedFlows(pods.keySet());
        Map<String, Integer[]> ports = Map.of("kafka", new Integer[] {9093}, "minio", new Integer[] {9000});
        for (NetworkFlows.Pod from : pods.values()) {
            if (from.name().equals("kafka")) continue; // Strimzi's own traffic
            for (NetworkFlows.Pod to : pods.values()) {
                if (to == from) continue;
                for (int port : ports.getOrDefault(to.name(), new Integer[] {8080})) {
                    boolean want = expected.getOrDefault(from.name(), Set.of()).contains(to.name());
                    assertEquals(
                            want,
                            flows.allowed(from, to, port),
                            overlay + ": " + from.name() + " -> " + to.name() + ":" + port);
                }
            }
            NetworkFlows.Pod dns = new NetworkFlows.Pod("dns", "kube-system", Map.of("k8s-app", "kube-dns"));
            assertTrue(flows.allowed(from, dns, 53), from.name() + " resolves names");
        }
        NetworkFlows.Pod prometheus =
                new NetworkFlows.Pod("prometheus", "monitoring", Map.of("app.kubernetes.io/name", "prometheus"));
        NetworkFlows.Pod ingress = new NetworkFlows.Pod("ingress", "ingress-nginx", Map.of());
        for (JsonNode w : workloads(docs)) {
            NetworkFlows.Pod pod = pods.get(name(w));
            assertTrue(flows.allowed(prometheus, pod, 8080), "Prometheus scrapes " + name(w));
            assertEquals(
                    !name(w).equals("trainer-worker"),
                    flows.allowed(ingress, pod, 8080),
                    "the ingress controller reaches the console and the APIs: " + name(w));
        }
        for (String closed : List.of("minio", "kafka"))
            assertFalse(flows.allowed(ingress, pods.get(closed), closed.equals("kafka") ? 9093 : 9000), closed);
        // Kafka has no plaintext listener: nothing may even try the old plain port.
        for (NetworkFlows.Pod from : pods.values())
            if (!from.name().equals("kafka"))
                assertFalse(flows.allowed(from, pods.get("kafka"), 9092), overlay + ": " + from.name() + " -> 9092");
    }

    /** Who calls whom (docs/ARCHITECTURE.md), among the pods present. */
    static Map<String, Set<String>> expectedFlows(Set<String> present) {
        Map<String, Set<String>> out = new TreeMap<>();
        Set<String> apis = Set.of("registry-svc", "tokenizer-svc", "trainer-svc", "scorer-svc");
        out.put("console-svc", new TreeSet<>(Set.of("registry-svc", "tokenizer-svc", "trainer-svc", "scorer-svc")));
        for (String s : List.of("registry-svc", "tokenizer-svc", "trainer-svc", "trainer-worker", "scorer-svc"))
            out.computeIfAbsent(s, k -> new TreeSet<>()).add("kafka");
        for (String s : List.of("trainer-svc", "trainer-worker", "scorer-svc"))
            out.get(s).add("registry-svc");
        for (String s : List.of(
                "registry-svc",
                "tokenizer-svc",
                "trainer-svc",
                "trainer-worker",
                "scorer-svc",
                "console-svc",
                "minio-setup")) out.computeIfAbsent(s, k -> new TreeSet<>()).add("minio");
        out.values().forEach(v -> v.retainAll(present));
        assertTrue(present.containsAll(apis), "the four APIs are present: " + present);
        return out;
    }

    static Map<String, String> labels(JsonNode workload) {
        return labelsAt(workload.at("/spec/template/metadata/labels"));
    }

    static Map<String, String> labelsOf(JsonNode object) {
        return labelsAt(object.at("/metadata/labels"));
    }

    static Map<String, String> labelsAt(JsonNode labels) {
        Map<String, String> out = new TreeMap<>();
        labels.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    /** Whether a selector (a Service's plain map, or a LabelSelector) selects the workload's pods. */
    static boolean selects(JsonNode selector, JsonNode workload) {
        boolean labelSelector = selector.has("matchLabels") || selector.has("matchExpressions");
        if (labelSelector) return NetworkFlows.matches(selector, labels(workload));
        Map<String, String> l = labels(workload);
        var it = selector.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!e.getValue().asText().equals(l.get(e.getKey()))) return false;
        }
        return !selector.isEmpty();
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

    static Properties properties(String service) throws IOException {
        Properties p = new Properties();
        try (var in =
                Files.newInputStream(K8S.getParent().resolve(service + "/src/main/resources/application.properties"))) {
            p.load(in);
        }
        return p;
    }

    /** The topics one service's application.properties names. */
    static Set<String> topicsOf(String service) throws IOException {
        Set<String> topics = new TreeSet<>();
        Pattern key = Pattern.compile("mp\\.messaging\\.(incoming|outgoing)\\.[^.]+\\.(dead-letter-queue\\.)?topic");
        Properties p = properties(service);
        for (String k : p.stringPropertyNames())
            if (key.matcher(k).matches()) topics.add(p.getProperty(k).trim());
        return topics;
    }

    static String topicName(JsonNode topic) {
        return topic.at("/spec/topicName").isMissingNode()
                ? name(topic)
                : topic.at("/spec/topicName").asText();
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

    /** A Kubernetes quantity in bytes: binary suffixes (16Gi), decimal ones (16G), or plain bytes. */
    static long quantity(String q) {
        Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?").matcher(q);
        assertTrue(m.matches(), "a quantity: " + q);
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2);
        if (unit == null) return n;
        int power = "kMGT".indexOf(unit.equals("Ki") ? 'k' : unit.charAt(0)) + 1;
        return unit.endsWith("i") ? n << (10 * power) : n * (long) Math.pow(1000, power);
    }

    /** A size as the services read CLINLORA_MEMORY_* (platform/…/memory/MemoryPreflight: 1536M, 8G are binary). */
    static long size(String s) {
        Matcher m = Pattern.compile("(\\d+)([KMGT])?").matcher(s);
        assertTrue(m.matches(), "a size: " + s);
        long n = Long.parseLong(m.group(1));
        return m.group(2) == null ? n : n << (10 * ("KMGT".indexOf(m.group(2).charAt(0)) + 1));
    }

    static long seconds(String duration) {
        Matcher m = Pattern.compile("(\\d+)(s|m|h)").matcher(duration);
        assertTrue(m.matches(), "a duration: " + duration);
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "m" -> n * 60;
            case "h" -> n * 3600;
            default -> n;
        };
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
