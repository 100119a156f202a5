package org.clinlora.scorer;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.CloudEventSerializer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.NoteFiles;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TaskExample;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.testing.KafkaTestClients;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestTopics;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Every event the four services publish, read from the real broker by a consumer written against the CloudEvents SDK
 * (its Kafka {@link CloudEventDeserializer}, as another team would write one), while a producer written the same way
 * drives the services with CloudEvents carrying only the events' own fields: notes on notes.raw, training requests on
 * training.requests, score requests on scores.requests. registry-svc, tokenizer-svc and trainer-svc run from their
 * jars, this scorer in the test, over the Kafka and S3Proxy that infra/infra.sh starts.
 */
@QuarkusTest
@QuarkusTestResource(
        value = LocalServices.class,
        initArgs = @ResourceArg(name = "services", value = "registry,tokenizer,trainer"))
class CloudEventsPipelineTest {
    static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    static final List<String> PUBLISHED = List.of(
            TestTopics.of("adapters.events"),
            TestTopics.of("datasets.ready"),
            TestTopics.of("training.events"),
            TestTopics.of("scores.results"));
    static final ObjectMapper JSON = new ObjectMapper();
    static final URI PIPELINE = URI.create("https://ci.example.org/pipelines/clinlora-" + RUN);

    @ConfigProperty(name = "clinlora.registry.url")
    String registry;

    @ConfigProperty(name = "clinlora.tokenizer.url")
    String tokenizer;

    @ConfigProperty(name = "clinlora.trainer.url")
    String trainer;

    final String stream = "ce-mor-" + RUN, dataset = "ce-mor-ds-" + RUN, adapter = "ce-mor-" + RUN;
    final String cancelled = "ce-cancel-" + RUN, request = "ce-req-" + RUN;
    final List<String> jobs = List.of("ce-job1-" + RUN, "ce-job2-" + RUN);

    @Test
    void anSdkConsumerReadsEveryEventTypeTheServicesPublish() throws Exception {
        try (KafkaConsumer<String, CloudEvent> sdk = sdkConsumer();
                KafkaProducer<String, CloudEvent> pipeline = sdkProducer()) {
            List<TaskExample> notes = sendNotes(pipeline);
            buildDataset(notes.size());
            cancelAJob();
            for (String job : jobs) trainThroughKafka(pipeline, job);
            moveAliasThenDeleteTheOldVersion();
            Map<String, Object> score = Map.of(
                    "requestId",
                    request,
                    "task",
                    adapter + "@production",
                    "note",
                    notes.get(0).text());
            pipeline.send(new ProducerRecord<>(
                            TestTopics.of("scores.requests"),
                            request,
                            event("org.clinlora.score.requested", request, score)))
                    .get();
            Map<String, List<CloudEvent>> seen = readUntilEveryTypeIsSeen(sdk);
            checkEvery(seen);
            checkEach(seen);
        }
    }

    @Test
    void aDeadLetteredCloudEventKeepsItsReasonAndItsCeHeaders() throws Exception {
        String key = "ce-poison-" + RUN;
        CloudEvent noJobId =
                event("org.clinlora.training.requested", key, Map.of("spec", Map.of("kind", "downstream")));
        try (KafkaProducer<String, CloudEvent> pipeline = sdkProducer();
                KafkaProducer<String, String> raw = KafkaTestClients.producer()) {
            pipeline.send(new ProducerRecord<>(TestTopics.of("training.requests"), key, noJobId))
                    .get();
            // a time the SDK would not let us write: the service's reader refuses it, the record is dead-lettered
            ProducerRecord<String, String> badTime =
                    new ProducerRecord<>(TestTopics.of("training.requests"), key, "{\"spec\":{}}");
            String[][] headers = {
                {"ce_specversion", "1.0"},
                {"ce_id", key + "-t"},
                {"ce_source", "/x"},
                {"ce_type", "org.clinlora.training.requested"},
                {"ce_time", "yesterday"},
                {"content-type", "application/json"}
            };
            for (String[] h : headers) badTime.headers().add(h[0], h[1].getBytes(StandardCharsets.UTF_8));
            raw.send(badTime).get();
        }
        List<ConsumerRecord<String, String>> dead = deadLetters(TestTopics.of("training.requests.dlq"), key, 2);
        ConsumerRecord<String, String> first = dead.stream()
                .filter(r -> noJobId.getId().equals(header(r, "ce_id")))
                .findFirst()
                .orElseThrow();
        assertTrue(
                header(first, "dead-letter-reason").contains("spec.jobId is required"),
                header(first, "dead-letter-reason"));
        assertEquals("org.clinlora.training.requested", header(first, "ce_type"));
        assertEquals(PIPELINE.toString(), header(first, "ce_source"));
        assertEquals("1.0", header(first, "ce_specversion"));
        try (CloudEventDeserializer d = new CloudEventDeserializer()) {
            CloudEvent again =
                    d.deserialize(first.topic(), first.headers(), first.value().getBytes(StandardCharsets.UTF_8));
            assertEquals(noJobId.getId(), again.getId(), "the dead letter is still the same CloudEvent");
        }
        ConsumerRecord<String, String> second = dead.stream()
                .filter(r -> (key + "-t").equals(header(r, "ce_id")))
                .findFirst()
                .orElseThrow();
        assertEquals("the CloudEvent time is not an RFC 3339 timestamp", header(second, "dead-letter-reason"));
    }

    // --- the pipeline, driven with CloudEvents and REST

    private List<TaskExample> sendNotes(KafkaProducer<String, CloudEvent> pipeline) throws Exception {
        Path dir = Files.createTempDirectory("ce");
        TinyLlama.write(
                dir.resolve("m"),
                new TinyLlama.Spec(2000, 64, 2, 4, 2, TinyLlama.Spec.defaultIntermediate(64), 512, false, 8));
        PipelineEndToEndTest.pushModel(registry, PipelineEndToEndTest.BASE_MODEL, dir.resolve("m"));
        new SyntheticCorpus(new SyntheticCorpus.Settings(150, 0.9, 7)).write(dir.resolve("c"));
        List<TaskExample> mor = new ArrayList<>();
        NoteFiles.readTaskFile(dir.resolve("c/synthetic_mor.csv"), CsvReader.OnMalformed.FAIL, mor::add);
        for (TaskExample e : mor) {
            Map<String, Object> note = new LinkedHashMap<>(); // only the note's own fields: no envelope
            note.put("stream", stream);
            note.put("noteId", e.id());
            note.put("subjectId", e.subjectId());
            note.put("text", e.text());
            note.put("labels", e.labels());
            pipeline.send(new ProducerRecord<>(
                    TestTopics.of("notes.raw"), stream, event("org.clinlora.note.submitted", e.id(), note)));
        }
        pipeline.flush();
        return mor;
    }

    private void buildDataset(int notes) throws InterruptedException {
        ObjectStore store = new ObjectStore(LocalInfra.s3Settings());
        PipelineEndToEndTest.buildFromStream(store, tokenizer, stream, notes, dataset);
        assertEquals(
                "ready",
                PipelineEndToEndTest.await(tokenizer + "/v1/datasets/" + dataset, List.of("ready", "failed"))
                        .getString("status"));
    }

    private Map<String, Object> spec(String jobId, int epochs) {
        return Map.of(
                "jobId",
                jobId,
                "kind",
                "downstream",
                "baseModel",
                PipelineEndToEndTest.BASE_MODEL,
                "datasets",
                Map.of("train", dataset),
                "outputName",
                adapter,
                "task",
                "mor",
                "optim",
                Map.of("learningRate", 0.01, "batchSize", 8, "gradientAccumulation", 1, "epochs", epochs),
                "seed",
                1);
    }

    /** A job cancelled by its user: TrainingFailed with cancelled true. */
    private void cancelAJob() throws InterruptedException {
        given().contentType("application/json")
                .body(spec(cancelled, 500))
                .post(trainer + "/v1/jobs")
                .then()
                .statusCode(202);
        given().delete(trainer + "/v1/jobs/" + cancelled).then().statusCode(202);
        assertEquals(
                "cancelled",
                PipelineEndToEndTest.await(
                                trainer + "/v1/jobs/" + cancelled, List.of("succeeded", "failed", "cancelled"))
                        .getString("status"));
    }

    private void trainThroughKafka(KafkaProducer<String, CloudEvent> pipeline, String job) throws Exception {
        pipeline.send(new ProducerRecord<>(
                        TestTopics.of("training.requests"),
                        job,
                        event("org.clinlora.training.requested", job, Map.of("spec", spec(job, 1)))))
                .get();
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < end
                && given().get(trainer + "/v1/jobs/" + job).statusCode() == 404) Thread.sleep(300);
        var done = PipelineEndToEndTest.await(trainer + "/v1/jobs/" + job, List.of("succeeded", "failed", "cancelled"));
        assertEquals("succeeded", done.getString("status"), done.prettify());
    }

    /** AliasMoved to version 2, then version 1 (no alias on it) deleted: AdapterDeleted. */
    private void moveAliasThenDeleteTheOldVersion() {
        given().contentType("application/json")
                .body(Map.of("version", 2))
                .put(registry + "/v1/adapters/" + adapter + "/aliases/production")
                .then()
                .statusCode(200);
        given().delete(registry + "/v1/adapters/" + adapter + "/versions/1")
                .then()
                .statusCode(204);
    }

    // --- what the SDK consumer reads

    private Map<String, List<CloudEvent>> readUntilEveryTypeIsSeen(KafkaConsumer<String, CloudEvent> sdk) {
        Map<String, List<CloudEvent>> seen = new HashMap<>();
        Set<String> subjects = Set.of(
                adapter + "@1",
                adapter + "@2",
                adapter + "@production",
                dataset,
                cancelled,
                jobs.get(0),
                jobs.get(1),
                request);
        long end = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < end && !seenAll(seen)) {
            for (ConsumerRecord<String, CloudEvent> r : sdk.poll(Duration.ofMillis(300))) {
                CloudEvent ce = r.value();
                if (subjects.contains(ce.getSubject()))
                    seen.computeIfAbsent(ce.getType(), t -> new ArrayList<>()).add(ce);
            }
        }
        assertTrue(seenAll(seen), "every published type read through the SDK; seen " + seen.keySet());
        return seen;
    }

    private static final Map<String, String> SOURCES = Map.of(
            "org.clinlora.adapter.published", "/clinlora/registry-svc",
            "org.clinlora.alias.moved", "/clinlora/registry-svc",
            "org.clinlora.adapter.deleted", "/clinlora/registry-svc",
            "org.clinlora.dataset.ready", "/clinlora/tokenizer-svc",
            "org.clinlora.training.progressed", "/clinlora/trainer-svc",
            "org.clinlora.training.completed", "/clinlora/trainer-svc",
            "org.clinlora.training.failed", "/clinlora/trainer-svc",
            "org.clinlora.score.answered", "/clinlora/scorer-svc");

    private static boolean seenAll(Map<String, List<CloudEvent>> seen) {
        return seen.keySet().containsAll(SOURCES.keySet())
                && seen.get("org.clinlora.adapter.published").size() >= 2
                && seen.get("org.clinlora.training.completed").size() >= 2;
    }

    /** The attributes every event carries, each agreeing with the data's own envelope fields. */
    private static void checkEvery(Map<String, List<CloudEvent>> seen) throws Exception {
        for (var byType : seen.entrySet()) {
            for (CloudEvent ce : byType.getValue()) {
                JsonNode data = JSON.readTree(ce.getData().toBytes());
                assertEquals("1.0", ce.getSpecVersion().toString());
                assertEquals(data.get("eventId").asText(), ce.getId());
                assertEquals(URI.create(SOURCES.get(byType.getKey())), ce.getSource(), byType.getKey());
                assertNotNull(ce.getSubject());
                assertEquals(
                        Instant.parse(data.get("occurredAt").asText()),
                        ce.getTime().toInstant());
                assertEquals("application/json", ce.getDataContentType());
                assertTrue(
                        ce.getDataSchema().toString().endsWith("/v1"),
                        ce.getDataSchema().toString());
            }
        }
    }

    /** What each event type says, in its subject and data. */
    private void checkEach(Map<String, List<CloudEvent>> seen) {
        JsonNode moved = only(seen, "org.clinlora.alias.moved", adapter + "@production");
        assertEquals(2, moved.get("version").asInt());
        assertEquals(
                1,
                only(seen, "org.clinlora.adapter.deleted", adapter + "@1")
                        .get("version")
                        .asInt());
        assertEquals(
                adapter,
                only(seen, "org.clinlora.adapter.published", adapter + "@2")
                        .get("name")
                        .asText());
        assertTrue(only(seen, "org.clinlora.dataset.ready", dataset)
                        .get("rows")
                        .get("train")
                        .asLong()
                > 0);
        assertEquals(
                adapter + "@1",
                only(seen, "org.clinlora.training.completed", jobs.get(0))
                        .get("adapter")
                        .asText());
        assertTrue(only(seen, "org.clinlora.training.failed", cancelled)
                .get("cancelled")
                .asBoolean());
        JsonNode step = data(first(seen, "org.clinlora.training.progressed", ce -> jobs.contains(ce.getSubject())));
        assertTrue(step.get("step").asInt() >= 1 && step.get("loss").isNumber(), step.toString());
        JsonNode result = only(seen, "org.clinlora.score.answered", request);
        assertEquals(adapter + "@2", result.get("adapter").asText(), result.toString());
        assertEquals(
                1.0,
                result.get("probabilities").get("0").asDouble()
                        + result.get("probabilities").get("1").asDouble(),
                1e-5);
    }

    private static JsonNode only(Map<String, List<CloudEvent>> seen, String type, String subject) {
        return data(first(seen, type, ce -> subject.equals(ce.getSubject())));
    }

    private static CloudEvent first(Map<String, List<CloudEvent>> seen, String type, Predicate<CloudEvent> which) {
        return seen.get(type).stream().filter(which).findFirst().orElseThrow(() -> new AssertionError(type));
    }

    private static JsonNode data(CloudEvent ce) {
        try {
            return JSON.readTree(ce.getData().toBytes());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    // --- clients written against the SDK

    /** A pipeline's CloudEvent: only the event's own fields as data (no eventId, type or time in it). */
    private static CloudEvent event(String type, String subject, Map<String, Object> data) throws Exception {
        return CloudEventBuilder.v1()
                .withId(UUID.randomUUID().toString())
                .withSource(PIPELINE)
                .withType(type)
                .withSubject(subject)
                .withTime(OffsetDateTime.now())
                .withDataContentType("application/json")
                .withData(JSON.writeValueAsBytes(data))
                .build();
    }

    private static KafkaProducer<String, CloudEvent> sdkProducer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", LocalInfra.KAFKA_BOOTSTRAP);
        CloudEventSerializer values = new CloudEventSerializer();
        values.configure(Map.of(CloudEventSerializer.ENCODING_CONFIG, Encoding.BINARY), false);
        return new KafkaProducer<>(p, new StringSerializer(), values);
    }

    /** Subscribed from the current end of the four topics, so it reads only what this test makes the services send. */
    private static KafkaConsumer<String, CloudEvent> sdkConsumer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", LocalInfra.KAFKA_BOOTSTRAP);
        p.put("group.id", "cloudevents-sdk-" + RUN);
        p.put("auto.offset.reset", "latest");
        KafkaConsumer<String, CloudEvent> c =
                new KafkaConsumer<>(p, new StringDeserializer(), new CloudEventDeserializer());
        c.subscribe(PUBLISHED);
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end
                && c.assignment().stream().map(tp -> tp.topic()).distinct().count() < PUBLISHED.size())
            c.poll(Duration.ofMillis(200));
        c.assignment().forEach(c::position); // fixes the start now, before anything is sent
        return c;
    }

    private static List<ConsumerRecord<String, String>> deadLetters(String topic, String key, int n) {
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = KafkaTestClients.consumer(topic)) {
            long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (out.size() < n && System.nanoTime() < end) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200)))
                    if (key.equals(r.key())) out.add(r);
            }
        }
        assertEquals(n, out.size(), "dead letters of " + key);
        return out;
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
