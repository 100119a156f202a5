package org.clinlora.scorer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.task.ProblemType;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.BpeTokenizerBuilder;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.model.text.NoteNormalizer;
import org.clinlora.platform.api.Problem;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.events.Events;
import org.clinlora.platform.events.ScoreRequest;
import org.clinlora.platform.events.ScoreResult;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.platform.store.StoredDatasets;
import org.clinlora.testing.KafkaTestClients;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestAdapters;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TestTopics;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** scorer-svc against the real local Kafka, S3Proxy and a running registry-svc. */
@QuarkusTest
@QuarkusTestResource(
        value = LocalServices.class,
        initArgs = @ResourceArg(name = "services", value = "registry,tokenizer,trainer"))
class ScoringTest {
    static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    static final String CLINICAL = "clin-" + RUN, LOS = "los-" + RUN, DIAG = "diag-" + RUN;
    static final List<String> NOTES = List.of(
            "Chief Complaint: chest pain.\\nHistory of Present Illness: ___ year old man, admitted to the cardiology service.",
            "Pt with fever, blood cultures drawn and broad spectrum antibiotics started. Plan for endotracheal tube insertion.");
    static ObjectStore store;
    static Path dir;
    static LlamaConfig base;
    static boolean prepared;

    @ConfigProperty(name = "clinlora.registry.url")
    String registryUrl;
    /**
     * The tests' base model: the in-process scorer has none configured and binds to it from the first adapter's card.
     */
    static final String BASE_MODEL = "scorer-test-tiny";

    @BeforeEach
    void prepare() throws IOException {
        if (prepared) return;
        store = new ObjectStore(LocalInfra.s3Settings());
        dir = Files.createTempDirectory("scorer-test");
        base = TinyLlama.write(
                dir.resolve("m"),
                new TinyLlama.Spec(2000, 64, 2, 4, 2, TinyLlama.Spec.defaultIntermediate(64), 512, false, 8));
        new ModelStore(store).upload(BASE_MODEL, dir.resolve("m"));
        publish(
                CLINICAL,
                "clin1",
                new LoraConfig("CAUSAL_LM", 8, 16, 0.0, List.of("q_proj", "v_proj"), List.of(), false, null),
                0,
                null,
                null,
                1);
        for (int v = 1; v <= 4; v++) { // v2 is tampered with, v4 deleted, by the tests below
            publish(
                    LOS,
                    "los" + v,
                    new LoraConfig("SEQ_CLS", 4, 8, 0.1, List.of("q_proj", "v_proj"), List.of("score"), false, null),
                    4,
                    List.of("0", "1", "2", "3"),
                    false,
                    10 + v);
        }
        publish(
                DIAG,
                "diag1",
                new LoraConfig("SEQ_CLS", 4, 8, 0.1, List.of("q_proj", "v_proj"), List.of("score"), false, null),
                3,
                List.of("4019", "486", "5849"),
                true,
                20);
        new RegistryClient(registryUrl, TestAuth::allRoles).moveAlias(LOS, "production", 1, null);
        prepared = true;
    }

    void publish(
            String name,
            String local,
            LoraConfig cfg,
            int labels,
            List<String> labelNames,
            Boolean multilabel,
            long seed)
            throws IOException {
        Path d = TestAdapters.write(dir.resolve(local), cfg, base, labels, seed);
        String prefix = "test-staging/" + RUN + "/" + local + "/";
        try (var files = Files.list(d)) {
            for (Path f : files.toList()) store.put(prefix + f.getFileName(), f, Map.of());
        }
        PublishRequest card = PublishRequest.of(name, BASE_MODEL);
        if (labelNames != null)
            card = card.withLabels(labelNames, ProblemType.of(multilabel), null).withParent(CLINICAL + "@1");
        new RegistryClient(registryUrl, TestAuth::allRoles).publishFromStore(name, prefix, card);
    }

    /** What ./clinlora forward computes for the stack, then softmax or sigmoid: the reference for the service. */
    static List<double[]> reference(String headDir, List<String> notes, boolean multilabel) throws IOException {
        List<double[]> out = new ArrayList<>();
        try (LlamaModel m = LlamaModel.load(dir.resolve("m"), Compute.CPU_FP32);
                ClinicalTokenizer tok = ClinicalTokenizer.load(dir.resolve("m"))) {
            List<String> active = PeftAdapterDir.loadStack(
                    m,
                    List.of(
                            dir.resolve("clin1").toString(),
                            dir.resolve(headDir).toString()));
            for (String note : notes) {
                long[] t = tok.encode(NoteNormalizer.DEFAULT.normalize(note), false);
                int n = Math.min(t.length, 127);
                long[] ids = new long[n + 1];
                ids[0] = BpeTokenizerBuilder.BOS_ID;
                System.arraycopy(t, 0, ids, 1, n);
                TokenBatch b = TokenBatch.unpadded(1, ids.length, ids);
                try (StepContext ctx = m.newStep(false)) {
                    NDArray logits = m.classify(ctx, m.hiddenStates(ctx, b, active), b, active);
                    NDArray p = multilabel ? Activation.sigmoid(logits) : logits.softmax(-1);
                    float[] f = p.toFloatArray();
                    double[] d = new double[f.length];
                    for (int i = 0; i < f.length; i++) d[i] = f[i];
                    out.add(d);
                }
            }
        }
        return out;
    }

    static String body(String task, List<String> notes) {
        StringBuilder sb = new StringBuilder("{\"task\":\"" + task + "\",\"notes\":[");
        for (int i = 0; i < notes.size(); i++)
            sb.append(i > 0 ? "," : "").append('"').append(notes.get(i)).append('"');
        return sb.append("]}").toString();
    }

    static void assertProbabilities(JsonPath r, List<String> labels, List<double[]> want) {
        for (int i = 0; i < want.size(); i++) {
            for (int j = 0; j < labels.size(); j++) {
                double got = r.getDouble("results[" + i + "].probabilities.'" + labels.get(j) + "'");
                assertEquals(want.get(i)[j], got, 1e-5, "note " + i + " label " + labels.get(j));
            }
        }
    }

    @Test
    void scoresEqualTheCoreForwardWithSoftmaxOrSigmoidForTheSameAdapterStack() throws Exception {
        List<String> notes = NOTES.stream().map(n -> n.replace("\\n", "\n")).toList();
        JsonPath los = given().contentType("application/json")
                .body(body(LOS, NOTES))
                .post("/v1/score")
                .then()
                .statusCode(200)
                .body("adapter.ref", equalTo(LOS + "@1"))
                .body("adapter.lineage", equalTo(List.of(CLINICAL + "@1", LOS + "@1")))
                .extract()
                .jsonPath();
        assertProbabilities(los, List.of("0", "1", "2", "3"), reference("los1", notes, false));
        assertTrue(los.getInt("results[0].tokens") > 5);
        JsonPath diag = given().contentType("application/json")
                .body(body(DIAG + "@1", NOTES))
                .post("/v1/score")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertProbabilities(diag, List.of("4019", "486", "5849"), reference("diag1", notes, true));

        // Many concurrent requests for different tasks are batched together and still get exactly their own scores.
        List<double[]> losWant = reference("los1", notes, false), diagWant = reference("diag1", notes, true);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> all = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            boolean isLos = i % 2 == 0;
            all.add(pool.submit(() -> {
                JsonPath r = given().contentType("application/json")
                        .body(body(isLos ? LOS + "@1" : DIAG + "@1", NOTES))
                        .post("/v1/score")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath();
                assertProbabilities(
                        r,
                        isLos ? List.of("0", "1", "2", "3") : List.of("4019", "486", "5849"),
                        isLos ? losWant : diagWant);
                return null;
            }));
        }
        for (Future<?> f : all) f.get(2, TimeUnit.MINUTES);
        pool.shutdown();
    }

    @Test
    void aTamperedAdapterIsRefusedAndNeverScoredWith() throws Exception {
        String key = StoreLayout.version(LOS, 2) + "adapter_model.safetensors";
        byte[] bytes = store.getBytes(key).orElseThrow();
        bytes[bytes.length - 1] ^= 0x55;
        store.put(key, bytes, Map.of());
        given().contentType("application/json")
                .body(body(LOS + "@2", NOTES))
                .post("/v1/score")
                .then()
                .statusCode(500)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("status", equalTo(500))
                .body("reason", equalTo("integrity_error"))
                .body("detail", containsString(LOS + "@2"));
        // The other versions still score.
        given().contentType("application/json")
                .body(body(LOS + "@1", NOTES))
                .post("/v1/score")
                .then()
                .statusCode(200);
    }

    @Test
    void anAliasMoveSwitchesVersionsUnderConcurrentLoadWithoutFailedRequests() throws Exception {
        given().contentType("application/json")
                .body(body(LOS, NOTES))
                .post("/v1/score")
                .then()
                .statusCode(200)
                .body("adapter.version", equalTo(1));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger failures = new AtomicInteger(), ok = new AtomicInteger(), onV3 = new AtomicInteger();
        Set<Integer> versionsSeen = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            clients.add(pool.submit(() -> {
                while (!stop.get()) {
                    var r = given().contentType("application/json")
                            .body(body(LOS, NOTES))
                            .post("/v1/score");
                    if (r.statusCode() != 200) failures.incrementAndGet();
                    else {
                        ok.incrementAndGet();
                        int version = r.jsonPath().getInt("adapter.version");
                        versionsSeen.add(version);
                        if (version == 3) onV3.incrementAndGet();
                    }
                }
            }));
        }
        // The move happens under load: the clients have been answered a few times first; and the load goes on after it
        // until v3 has answered a few times, so "no failed request" covers the whole swap.
        awaitAtLeast(8, ok, "answers before the move");
        new RegistryClient(registryUrl, TestAuth::allRoles).moveAlias(LOS, "production", 3, 1);
        awaitAtLeast(8, onV3, "answers by v3 after the move");
        stop.set(true);
        for (Future<?> f : clients) f.get(1, TimeUnit.MINUTES);
        pool.shutdown();
        System.out.printf(
                "RESULT alias move under load: %d requests, %d failed, versions %s%n",
                ok.get() + failures.get(), failures.get(), versionsSeen);
        assertEquals(0, failures.get(), "no failed request during the swap");
        assertTrue(versionsSeen.containsAll(List.of(1, 3)), "served by v1, then v3: " + versionsSeen);
        given().contentType("application/json")
                .body(body(LOS, NOTES))
                .post("/v1/score")
                .then()
                .statusCode(200)
                .body("adapter.version", equalTo(3));
        new RegistryClient(registryUrl, TestAuth::allRoles).moveAlias(LOS, "production", 1, 3);
    }

    /** Waits (at most 60 s) until {@code count} reaches {@code n}; fails the test otherwise. */
    static void awaitAtLeast(int n, AtomicInteger count, String what) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (count.get() < n && System.nanoTime() < end) Thread.sleep(50);
        assertTrue(count.get() >= n, what + ": " + count.get() + " of " + n);
    }

    @Test
    void aDeletedVersionStopsBeingServedOnceItsAdapterDeletedEventArrives() throws Exception {
        given().contentType("application/json")
                .body(body(LOS + "@4", NOTES))
                .post("/v1/score")
                .then()
                .statusCode(200)
                .body("adapter.version", equalTo(4));
        long t0 = System.nanoTime();
        new RegistryClient(registryUrl, TestAuth::allRoles).delete(LOS, 4);
        int status = 200;
        long end = t0 + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end
                && (status = given().contentType("application/json")
                                .body(body(LOS + "@4", NOTES))
                                .post("/v1/score")
                                .statusCode())
                        == 200) {
            Thread.sleep(100);
        }
        System.out.printf(
                "RESULT deleted version: no longer served %.1f s after the delete (status %d)%n",
                (System.nanoTime() - t0) / 1e9, status);
        assertTrue(status == 404 || status == 410, "a deleted version is not servable: " + status);
        given().contentType("application/json")
                .body(body(LOS + "@1", NOTES))
                .post("/v1/score")
                .then()
                .statusCode(200);
    }

    @Inject
    InMemorySpanExporter spans;

    @Test
    void aKafkaScoredNoteIsOneTraceAcrossTheConsumerTheBatchAndTheProducer() throws Exception {
        String id = "traced-" + RUN;
        String traceId = UUID.randomUUID().toString().replace("-", ""), clientSpan = traceId.substring(0, 16);
        ProducerRecord<String, String> record = new ProducerRecord<>(
                TestTopics.of("scores.requests"), id, Events.toJson(ScoreRequest.of(id, LOS + "@1", NOTES.get(0))));
        record.headers()
                .add("traceparent", ("00-" + traceId + "-" + clientSpan + "-01").getBytes(StandardCharsets.UTF_8));
        try (KafkaProducer<String, String> producer = KafkaTestClients.producer()) {
            producer.send(record).get(30, TimeUnit.SECONDS);
        }
        String resultParent = null;
        try (KafkaConsumer<String, String> consumer = KafkaTestClients.consumer(TestTopics.of("scores.results"))) {
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < end && resultParent == null) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    if (!id.equals(r.key())) continue;
                    var h = r.headers().lastHeader("traceparent");
                    resultParent = h == null ? "none" : new String(h.value(), StandardCharsets.UTF_8);
                }
            }
        }
        assertTrue(
                resultParent != null && resultParent.startsWith("00-" + traceId + "-"),
                "the result record carries the trace on: " + resultParent);

        Map<String, SpanData> byName = new HashMap<>();
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end && byName.size() < 3) {
            for (var span : spans.getFinishedSpanItems())
                if (span.getTraceId().equals(traceId)) byName.put(span.getName(), span);
            Thread.sleep(100);
        }
        var consumer = byName.get("scores.requests process");
        var batch = byName.get("scorer.batch");
        var publish = byName.get("scores.results publish");
        assertTrue(consumer != null && batch != null && publish != null, "spans of the trace: " + byName.keySet());
        assertEquals(
                clientSpan,
                consumer.getParentSpanId(),
                "the consumer span continues the producer's context from the record");
        assertEquals(SpanKind.CONSUMER, consumer.getKind());
        assertEquals(consumer.getSpanId(), batch.getParentSpanId(), "the batch is scored within the consumer's span");
        assertEquals(LOS + "@1", batch.getAttributes().get(AttributeKey.stringKey("clinlora.adapter")));
        assertEquals(consumer.getSpanId(), publish.getParentSpanId());
        assertEquals(SpanKind.PRODUCER, publish.getKind());
        assertEquals(
                "00-" + traceId + "-" + publish.getSpanId() + "-01",
                resultParent,
                "the result's context is the producer span's");
    }

    @Test
    void theV2InferenceProtocolGivesTheSameProbabilitiesAsV1Score() {
        List<String> notes = NOTES.stream().map(n -> n.replace("\\n", "\n")).toList();
        List<String> labels = List.of("0", "1", "2", "3");
        JsonPath v1 = given().contentType("application/json")
                .body(body(LOS + "@1", NOTES))
                .post("/v1/score")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        Map<String, Object> req = Map.of(
                "id",
                "r-1",
                "inputs",
                List.of(Map.of("name", "note", "shape", List.of(notes.size()), "datatype", "BYTES", "data", notes)));
        JsonPath v2 = given().contentType("application/json")
                .body(req)
                .post("/v2/models/" + LOS + "/versions/1/infer")
                .then()
                .statusCode(200)
                .body("model_name", equalTo(LOS))
                .body("model_version", equalTo("1"))
                .body("id", equalTo("r-1"))
                .body("outputs[0].name", equalTo("probabilities"))
                .body("outputs[0].datatype", equalTo("FP32"))
                .body("outputs[0].shape", equalTo(List.of(2, 4)))
                .body("outputs[1].data", equalTo(labels))
                .extract()
                .jsonPath();
        List<Object> flat = v2.getList("outputs[0].data");
        for (int i = 0; i < notes.size(); i++) {
            for (int j = 0; j < labels.size(); j++) {
                assertEquals(
                        v1.getDouble("results[" + i + "].probabilities.'" + labels.get(j) + "'"),
                        ((Number) flat.get(i * labels.size() + j)).doubleValue(),
                        1e-6,
                        "note " + i + " label " + labels.get(j));
            }
        }
        // Without a version the production alias scores, as /v1/score does; metadata, health; a bad input is a 400 that
        // does not echo it.
        given().contentType("application/json")
                .body(req)
                .post("/v2/models/" + LOS + "/infer")
                .then()
                .statusCode(200)
                .body("model_version", equalTo("1"));
        given().get("/v2/models/" + LOS)
                .then()
                .statusCode(200)
                .body("inputs[0].datatype", equalTo("BYTES"))
                .body("outputs[0].shape", equalTo(List.of(-1, 4)));
        given().header("Authorization", "")
                .get("/v2/health/ready")
                .then()
                .statusCode(200)
                .body("ready", equalTo(true));
        given().header("Authorization", "").get("/v2/health/live").then().statusCode(200);
        given().header("Authorization", "Bearer " + TestAuth.token(Roles.TRAINER))
                .contentType("application/json")
                .body(req)
                .post("/v2/models/" + LOS + "/infer")
                .then()
                .statusCode(403);
        Map<String, Object> wrong = Map.of(
                "inputs",
                List.of(Map.of(
                        "name", "note", "shape", List.of(1), "datatype", "FP32", "data", List.of("SECRET-NOTE-TEXT"))));
        String answer = given().contentType("application/json")
                .body(wrong)
                .post("/v2/models/" + LOS + "/infer")
                .then()
                .statusCode(400)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .extract()
                .asString();
        assertFalse(answer.contains("SECRET-NOTE-TEXT"), answer);
        Problem refused = Problem.read(400, answer);
        assertEquals(refused.detail(), refused.error(), "V2 clients read the message from 'error': " + answer);
    }

    /**
     * The test's scorer and the user's services on the same broker never see each other's records: every topic this
     * scorer reads or writes is the run's own, and its answer to the test's request never reaches the user's
     * {@code scores.results} (before topics of the run's own, a demo kept running beside the build answered the tests'
     * requests a second time and wrote their notes into the user's bucket). Nothing is sent to the user's topics: their
     * services would act on it.
     */
    @Test
    void theUsersTopicsAndTheTestsNeverMeet() throws Exception {
        Config config = ConfigProvider.getConfig();
        for (String channel : List.of(
                "incoming.scores-requests.topic",
                "incoming.scores-requests.dead-letter-queue.topic",
                "incoming.adapters-events.topic",
                "incoming.adapters-events.dead-letter-queue.topic",
                "outgoing.scores-results.topic")) {
            String topic = config.getValue("mp.messaging." + channel, String.class);
            assertTrue(topic.endsWith(TestTopics.of("")), channel + " is the run's own, not the user's: " + topic);
        }
        String ours = "ours-" + RUN;
        try (KafkaProducer<String, String> producer = KafkaTestClients.producer()) {
            producer.send(new ProducerRecord<>(
                    TestTopics.of("scores.requests"),
                    ours,
                    Events.toJson(ScoreRequest.of(ours, LOS + "@1", NOTES.get(0)))));
        }
        boolean answered = false;
        try (KafkaConsumer<String, String> consumer = KafkaTestClients.consumer(TestTopics.of("scores.results"))) {
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < end && !answered)
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200)))
                    answered |= ours.equals(r.key());
        }
        assertTrue(answered, "the test's request is answered on the run's scores.results");
        try (KafkaConsumer<String, String> user = KafkaTestClients.consumer("scores.results")) {
            List<String> onUsers = new ArrayList<>();
            for (int i = 0; i < 10; i++) user.poll(Duration.ofMillis(300)).forEach(r -> onUsers.add(r.key()));
            assertFalse(onUsers.contains(ours), "the test's answer stays off the user's scores.results");
        }
    }

    @Test
    void scoreRequestsBecomeScoreResultsOnceEach() throws Exception {
        Map<String, String> sent = new HashMap<>();
        String later = "req-" + RUN + "-later";
        try (KafkaProducer<String, String> producer = KafkaTestClients.producer()) {
            for (int i = 0; i < 3; i++) {
                String id = "req-" + RUN + "-" + i;
                sent.put(id, i == 2 ? "no-such-task-" + RUN : LOS + "@1");
                producer.send(new ProducerRecord<>(
                        TestTopics.of("scores.requests"),
                        id,
                        Events.toJson(ScoreRequest.of(id, sent.get(id), NOTES.get(i % 2)))));
            }
            String dup = "req-" + RUN + "-0";
            producer.send(new ProducerRecord<>(
                    TestTopics.of("scores.requests"),
                    dup,
                    Events.toJson(ScoreRequest.of(dup, LOS + "@1", NOTES.get(0)))));
            producer.send(new ProducerRecord<>(
                    TestTopics.of("scores.requests"), "poison", "{\"type\":\"ScoreRequest\",\"task\":\"x\"}"));
            // A later request on the duplicate's partition (same key): the scorer consumes in order and publishes a
            // result before it takes the next record, so once the later result is read, whatever the duplicate led to
            // is on scores.results too.
            producer.send(new ProducerRecord<>(
                    TestTopics.of("scores.requests"),
                    dup,
                    Events.toJson(ScoreRequest.of(later, LOS + "@1", NOTES.get(1)))));
        }
        List<ScoreResult> results = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = KafkaTestClients.consumer(TestTopics.of("scores.results"))) {
            boolean laterAnswered = false;
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < end && !laterAnswered) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    if (sent.containsKey(r.key())) results.add((ScoreResult) Events.parse(r.value()));
                    laterAnswered |= later.equals(r.key());
                }
            }
            assertTrue(laterAnswered, "the request sent after the duplicate was answered");
            results.addAll(readToTheEnd(consumer, sent.keySet()));
        }
        assertEquals(3, results.size(), "one result per request id, the duplicate suppressed: " + results);
        for (ScoreResult r : results) {
            if (r.requestId().endsWith("-2")) {
                assertTrue(r.error() != null && r.error().contains("unknown task"), String.valueOf(r.error()));
            } else {
                assertEquals(LOS + "@1", r.adapter());
                assertEquals(
                        1.0,
                        r.probabilities().values().stream()
                                .mapToDouble(Double::doubleValue)
                                .sum(),
                        1e-5);
            }
        }
    }

    /**
     * The results with these keys from the consumer's position to the end of every partition as it is now (results on
     * other partitions than the one just read may still be unread).
     */
    static List<ScoreResult> readToTheEnd(KafkaConsumer<String, String> consumer, Set<String> keys) {
        List<ScoreResult> out = new ArrayList<>();
        Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment());
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end
                && ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                if (keys.contains(r.key())) out.add((ScoreResult) Events.parse(r.value()));
            }
        }
        return out;
    }

    @Test
    void evaluateGivesTheTrainersMetricsOnALabelledDataset() throws Exception {
        String id = "eval-" + RUN;
        var s = new DatasetBuilder.Settings(
                TaskKind.SEQ_CLS,
                64,
                NoteEncoding.Truncation.HEAD,
                NoteNormalizer.DEFAULT,
                0,
                0.5,
                1,
                64,
                BpeTokenizerBuilder.BOS_ID,
                BpeTokenizerBuilder.EOS_ID,
                BpeTokenizerBuilder.PAD_ID);
        try (DatasetBuilder b = new DatasetBuilder(
                id,
                s,
                new DatasetBuilder.LabelSpace(List.of("0", "1", "2", "3"), false),
                dir.resolve("m/tokenizer.json"),
                StoredDatasets.sink(store, StoreLayout.dataset(id)))) {
            for (int i = 0; i < 60; i++)
                b.add("r" + i, "p" + i, NOTES.get(i % 2) + " day " + i, List.of(String.valueOf(i % 4)));
            b.commit();
        }
        JsonPath r = given().contentType("application/json")
                .body("{\"datasetId\":\"" + id + "\",\"task\":\"" + LOS + "@1\",\"split\":\"all\"}")
                .post("/v1/evaluate")
                .then()
                .statusCode(200)
                .body("adapter", equalTo(LOS + "@1"))
                .extract()
                .jsonPath();
        assertEquals(60.0, r.getDouble("metrics.rows"));
        assertTrue(r.getDouble("metrics.macro_auroc") >= 0 && r.getDouble("metrics.macro_auroc") <= 1);
        given().contentType("application/json")
                .body("{\"datasetId\":\"" + id + "\",\"task\":\"" + DIAG + "@1\"}")
                .post("/v1/evaluate")
                .then()
                .statusCode(422)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("status", equalTo(422))
                .body("reason", equalTo("label_mismatch"));
    }

    @Test
    void badScoringRequestsAreClear4xxWithoutEchoingNotes() {
        String marker = "PHI-" + UUID.randomUUID();
        given().contentType("application/json")
                .body(body("nope-" + RUN, List.of(marker)))
                .post("/v1/score")
                .then()
                .statusCode(404)
                .body(Matchers.not(containsString(marker)));
        given().contentType("application/json")
                .body(body(LOS, List.of("  ")))
                .post("/v1/score")
                .then()
                .statusCode(400)
                .body("detail", equalTo("notes[0] is empty"));
        given().contentType("application/json")
                .body(body(LOS, Collections.nCopies(65, "x")))
                .post("/v1/score")
                .then()
                .statusCode(413);
        given().contentType("application/json")
                .body(body(CLINICAL + "@1", List.of("x")))
                .post("/v1/score")
                .then()
                .statusCode(422)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("status", equalTo(422))
                .body("reason", equalTo("not_a_classifier"));
        given().contentType("application/json")
                .body("{\"task\":\"" + LOS + "\",\"inputIds\":[[1, 99999]]}")
                .post("/v1/score")
                .then()
                .statusCode(400);
        given().contentType("application/json")
                .body("{\"task\":\"../x\",\"notes\":[\"a\"]}")
                .post("/v1/score")
                .then()
                .statusCode(400);
        given().contentType("application/json")
                .body("{\"task\":\"" + LOS + "\"}")
                .post("/v1/score")
                .then()
                .statusCode(400);
    }
}
