package org.clinlora.scorer;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.task.ProblemType;
import org.clinlora.platform.events.ClinicalNote;
import org.clinlora.platform.events.Events;
import org.clinlora.platform.events.ScoreRequest;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.testing.KafkaTestClients;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestAdapters;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TestTopics;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Notes are PHI. Notes carrying a unique marker go through every path that takes note text — REST and topics, the happy
 * path and each kind of failure, in tokenizer-svc and scorer-svc — with debug logging and HTTP access logs on; then the
 * marker must appear in no log line of any service (nor of Kafka or S3Proxy), in no error answer, and in no dead-letter
 * reason.
 */
@QuarkusTest
@QuarkusTestResource(
        value = LocalServices.class,
        initArgs = @ResourceArg(name = "services", value = "registry,tokenizer,trainer"))
class PhiLoggingTest {
    static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    static final String MARKER = "PHIMARKER"
            + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toUpperCase(Locale.ROOT);
    static final String NOTE =
            "Chief Complaint: chest pain. Patient " + MARKER + " admitted to the cardiology service with fever.";

    @ConfigProperty(name = "clinlora.registry.url")
    String registry;

    @ConfigProperty(name = "clinlora.tokenizer.url")
    String tokenizer;

    @ConfigProperty(name = "clinlora.trainer.url")
    String trainer;
    /**
     * The tests' base model: the in-process scorer has none configured and binds to it from the first adapter's card.
     */
    static final String BASE_MODEL = "scorer-test-tiny";

    final List<String> answers = new ArrayList<>();

    @Test
    void noteTextNeverReachesALogAnErrorOrADeadLetterReason() throws Exception {
        ObjectStore store = new ObjectStore(LocalInfra.s3Settings());
        Path dir = Files.createTempDirectory("phi");
        LlamaConfig base = TinyLlama.write(
                dir.resolve("m"),
                new TinyLlama.Spec(2000, 64, 2, 4, 2, TinyLlama.Spec.defaultIntermediate(64), 512, false, 8));
        new ModelStore(store).upload(BASE_MODEL, dir.resolve("m"));
        String name = "phi-los-" + RUN, task = name + "@1";
        Path adapter = TestAdapters.write(
                dir.resolve("a"),
                new LoraConfig("SEQ_CLS", 4, 8, 0.1, List.of("q_proj", "v_proj"), List.of("score"), false, null),
                base,
                4,
                3);
        try (var files = Files.list(adapter)) {
            for (Path f : files.toList()) store.put("phi-staging/" + RUN + "/" + f.getFileName(), f, Map.of());
        }
        PublishRequest card = PublishRequest.of(name, BASE_MODEL)
                .withLabels(List.of("0", "1", "2", "3"), ProblemType.SINGLE_LABEL, null);
        new RegistryClient(registry, TestAuth::allRoles).publishFromStore(name, "phi-staging/" + RUN + "/", card);

        // tokenizer-svc, REST: tokenize (ok; bad length; broken JSON), dataset uploads (ok; unknown label; broken CSV).
        json(tokenizer + "/v1/tokenize", Map.of("model", BASE_MODEL, "texts", List.of(NOTE)), 200);
        json(tokenizer + "/v1/tokenize", Map.of("model", BASE_MODEL, "texts", List.of(NOTE), "maxLength", -5), 400);
        raw(
                tokenizer + "/v1/tokenize",
                "application/json",
                "{\"model\":\"" + BASE_MODEL + "\",\"texts\":[\"" + NOTE + "\", 17, {\"x\": \"" + NOTE,
                400);
        raw(
                tokenizer + "/v1/tokenize",
                "application/json",
                "{\"model\":\"" + BASE_MODEL + "\",\"texts\":\"" + NOTE + "\"}",
                400);
        String csv = "id,subject_id,text,label\n" + "1,101,\"" + NOTE + "\",0\n2,102,\"" + NOTE + " again\",1\n3,103,\""
                + NOTE + "\",1\n";
        String ok = upload(csv, "phi-ok-" + RUN, 202);
        String badLabel = upload("id,subject_id,text,label\n1,101,\"" + NOTE + "\",7\n", "phi-label-" + RUN, 202);
        String badQuote = upload("id,subject_id,text,label\n1,101,\"" + NOTE + ",0\n", "phi-quote-" + RUN, 202);
        assertEquals("ready", awaitDataset(ok));
        assertEquals("failed", awaitDataset(badLabel));
        assertEquals("failed", awaitDataset(badQuote));

        // scorer-svc, REST: score (ok; unknown task; wrong types; broken JSON; too many notes).
        json("/v1/score", Map.of("task", task, "notes", List.of(NOTE)), 200);
        json("/v1/score", Map.of("task", "no-such-task-" + RUN, "notes", List.of(NOTE)), 404);
        raw(
                "/v1/score",
                "application/json",
                "{\"task\":\"" + task + "\",\"notes\":[\"" + NOTE + "\", [\"" + NOTE + "\"]]}",
                400);
        raw("/v1/score", "application/json", "{\"task\":\"" + task + "\",\"notes\":[\"" + NOTE, 400);
        raw("/v1/score", "application/json", "{\"task\":\"" + task + "\",\"inputIds\":[\"" + NOTE + "\"]}", 400);
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 5000; i++) many.add(NOTE);
        Response tooMany = given().contentType("application/json")
                .body(Map.of("task", task, "notes", many))
                .post("/v1/score");
        assertTrue(
                tooMany.statusCode() == 400 || tooMany.statusCode() == 413,
                "an oversized batch is refused: " + tooMany.statusCode());
        answers.add(tooMany.asString());

        // Topics: notes.raw (stored; poison) and scores.requests (answered; poison) — poison goes to the dead-letter
        // topics.
        String stream = "phi-" + RUN;
        try (KafkaProducer<String, String> p = KafkaTestClients.producer()) {
            p.send(new ProducerRecord<>(
                    TestTopics.of("notes.raw"),
                    stream,
                    Events.toJson(ClinicalNote.of(stream, "n1-" + RUN, "101", NOTE, List.of("1")))));
            p.send(new ProducerRecord<>(
                    TestTopics.of("notes.raw"),
                    stream,
                    "{\"type\":\"ClinicalNote\",\"stream\":\"" + stream + "\",\"text\":\"" + NOTE + "\"}"));
            p.send(new ProducerRecord<>(TestTopics.of("notes.raw"), stream, "{\"type\":\"" + NOTE + "\"}"));
            p.send(new ProducerRecord<>(TestTopics.of("notes.raw"), stream, NOTE));
            p.send(new ProducerRecord<>(
                    TestTopics.of("scores.requests"),
                    "r1-" + RUN,
                    Events.toJson(ScoreRequest.of("r1-" + RUN, task, NOTE))));
            p.send(new ProducerRecord<>(
                    TestTopics.of("scores.requests"),
                    "r2-" + RUN,
                    Events.toJson(ScoreRequest.of("r2-" + RUN, "no-such-task-" + RUN, NOTE))));
            p.send(new ProducerRecord<>(
                    TestTopics.of("scores.requests"),
                    "poison-" + RUN,
                    "{\"type\":\"ScoreRequest\",\"note\":\"" + NOTE + "\"}"));
            p.send(new ProducerRecord<>(TestTopics.of("scores.requests"), "poison-" + RUN, NOTE));
        }
        assertEquals(
                3,
                deadLetters(TestTopics.of("notes.raw.dlq"), stream, 3).size(),
                "notes.raw poison reached its dead-letter topic");
        assertEquals(
                2,
                deadLetters(TestTopics.of("scores.requests.dlq"), "poison-" + RUN, 2)
                        .size(),
                "scores.requests poison reached its dead-letter topic");
        try (KafkaConsumer<String, String> c = KafkaTestClients.consumer(TestTopics.of("scores.results"))) {
            int results = 0;
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (results < 2 && System.nanoTime() < end) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && r.key().endsWith("-" + RUN)) {
                        results++;
                        assertFalse(r.value().contains(MARKER), "a score result never carries the note");
                    }
                }
            }
            assertEquals(2, results, "both score requests were answered");
        }

        // The marker is in no answer and in no log.
        for (String a : answers) assertFalse(a.contains(MARKER), "an answer echoed the note: " + a);
        Map<String, Path> services = new LinkedHashMap<>();
        services.put("", Path.of("target/scorer-svc-inprocess.log").toAbsolutePath());
        services.put(registry, LocalServices.logOf("registry"));
        services.put(tokenizer, LocalServices.logOf("tokenizer"));
        services.put(trainer, LocalServices.logOf("trainer"));
        awaitLoggedAfterTheSteps(services);
        List<Path> logs = new ArrayList<>(services.values());
        try (var infra = Files.list(LocalInfra.repoRoot().resolve(".run/logs"))) {
            logs.addAll(infra.filter(Files::isRegularFile).toList());
        }
        long lines = 0;
        for (Path log : logs) {
            assertTrue(Files.exists(log), "log " + log + " exists");
            String text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
            lines += text.lines().count();
            assertFalse(text.contains(MARKER), "note text in the log " + log);
        }
        assertTrue(
                Files.readString(logs.get(0)).contains("/v1/score"),
                "the in-process scorer's access log was written (the check reads real logs)");
        System.out.printf(
                "PHI log check: marker absent from %d log files (%d lines), %d answers and every dead-letter reason%n",
                logs.size(), lines, answers.size());
    }

    /**
     * Each service answers one more request, made now, and its access-log line is awaited: the services write their
     * logs in order, so once that line is in a file, every line the steps above led to is there as well.
     */
    private static void awaitLoggedAfterTheSteps(Map<String, Path> logByService) throws Exception {
        String probe = "after-the-steps-" + UUID.randomUUID();
        for (Map.Entry<String, Path> s : logByService.entrySet()) {
            given().header("Authorization", "").get(s.getKey() + "/q/health/live/" + probe);
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            boolean logged = false;
            while (!logged && System.nanoTime() < end) {
                logged = Files.exists(s.getValue())
                        && new String(Files.readAllBytes(s.getValue()), StandardCharsets.UTF_8).contains(probe);
                if (!logged) Thread.sleep(100);
            }
            assertTrue(logged, "the probe request reached the log " + s.getValue());
        }
    }

    private void json(String url, Object body, int status) {
        Response r = given().contentType("application/json").body(body).post(url);
        assertEquals(status, r.statusCode(), url + ": " + r.asString());
        answers.add(r.asString());
    }

    private void raw(String url, String contentType, String body, int status) {
        Response r = given().contentType(contentType)
                .body(body.getBytes(StandardCharsets.UTF_8))
                .post(url);
        assertEquals(status, r.statusCode(), url + ": " + r.asString());
        answers.add(r.asString());
    }

    private String upload(String csv, String id, int status) {
        Response r = given().contentType("text/csv")
                .body(csv.getBytes(StandardCharsets.UTF_8))
                .post(tokenizer + "/v1/datasets?kind=classification&seqLen=64&labels=0,1&model=" + BASE_MODEL
                        + "&datasetId=" + id);
        assertEquals(status, r.statusCode(), r.asString());
        answers.add(r.asString());
        return id;
    }

    private String awaitDataset(String id) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < end) {
            Response r = given().get(tokenizer + "/v1/datasets/" + id);
            answers.add(r.asString());
            String status = r.jsonPath().getString("status");
            if ("ready".equals(status) || "failed".equals(status)) return status;
            Thread.sleep(300);
        }
        throw new AssertionError("dataset " + id + " did not finish");
    }

    /** The dead-letter records with this key; their reasons are checked for the marker. */
    private List<ConsumerRecord<String, String>> deadLetters(String topic, String key, int expected) {
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = KafkaTestClients.consumer(topic)) {
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (out.size() < expected && System.nanoTime() < end) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200)))
                    if (key.equals(r.key())) out.add(r);
            }
        }
        for (ConsumerRecord<String, String> r : out) {
            Header reason = r.headers().lastHeader("dead-letter-reason");
            assertTrue(reason != null && reason.value().length > 0, topic + " record has a reason");
            for (Header h : r.headers()) {
                assertFalse(
                        new String(h.value(), StandardCharsets.UTF_8).contains(MARKER),
                        topic + " header " + h.key() + " carries the note");
            }
        }
        return out;
    }
}
