package org.clinlora.scorer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.NoteFiles;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TaskExample;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.platform.events.ClinicalNote;
import org.clinlora.platform.events.Events;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.testing.KafkaTestClients;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TestTopics;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The pipeline across the four services as separate processes (registry-svc, tokenizer-svc, trainer-svc from their
 * jars; this scorer in the test), over the real Kafka and S3Proxy: notes → datasets (a bucket file, and notes.raw
 * records) → Clinical LoRA job → Downstream LoRA job stacked on it → production alias → score.
 */
@QuarkusTest
@QuarkusTestResource(
        value = LocalServices.class,
        initArgs = @ResourceArg(name = "services", value = "registry,tokenizer,trainer"))
class PipelineEndToEndTest {
    static final String RUN = UUID.randomUUID().toString().substring(0, 8);

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

    /**
     * Waits (at most 2 minutes) until every one of the stream's {@code notes} is stored, then starts a binary
     * classification dataset build from the stream (202).
     */
    static void buildFromStream(ObjectStore store, String tokenizer, String stream, int notes, String datasetId)
            throws InterruptedException {
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < end
                && store.list(StoreLayout.noteStream(stream)).size() < notes) Thread.sleep(200);
        assertEquals(notes, store.list(StoreLayout.noteStream(stream)).size(), "every note record stored");
        given().contentType("application/json")
                .body(Map.of(
                        "datasetId", datasetId,
                        "model", BASE_MODEL,
                        "kind", "classification",
                        "stream", stream,
                        "labels", List.of("0", "1")))
                .post(tokenizer + "/v1/datasets")
                .then()
                .statusCode(202);
    }

    static JsonPath await(String url, List<String> done) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        while (System.nanoTime() < end) {
            JsonPath j = given().get(url).then().statusCode(200).extract().jsonPath();
            if (done.contains(j.getString("status"))) return j;
            Thread.sleep(300);
        }
        throw new AssertionError(url + " did not finish");
    }

    /**
     * Declares every file with its sha256, sends each, completes: the registry checks the checkpoint before it exists.
     */
    static void pushModel(String registry, String id, Path model) throws Exception {
        Map<String, Object> files = new TreeMap<>();
        try (var s = Files.list(model)) {
            for (Path p : s.toList())
                files.put(p.getFileName().toString(), Map.of("sha256", Sha256.of(p), "size", Files.size(p)));
        }
        List<String> missing = given().contentType("application/json")
                .body(Map.of("files", files))
                .post(registry + "/v1/models/" + id + "/upload")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("missing", String.class);
        for (String f : missing) {
            given().contentType("application/octet-stream")
                    .body(Files.readAllBytes(model.resolve(f)))
                    .put(registry + "/v1/models/" + id + "/upload/files/" + f)
                    .then()
                    .statusCode(200);
        }
        if (!missing.isEmpty())
            given().post(registry + "/v1/models/" + id + "/upload/complete")
                    .then()
                    .statusCode(201);
    }

    @Test
    void notesBecomeDatasetsThenAdaptersThenScores() throws Exception {
        ObjectStore store = new ObjectStore(LocalInfra.s3Settings());
        Path dir = Files.createTempDirectory("e2e");
        TinyLlama.write(
                dir.resolve("m"),
                new TinyLlama.Spec(2000, 64, 2, 4, 2, TinyLlama.Spec.defaultIntermediate(64), 512, false, 8));
        pushModel(
                registry,
                BASE_MODEL,
                dir.resolve("m")); // through registry-svc, as `./clinlora models push` does; nothing else registers it
        new SyntheticCorpus(new SyntheticCorpus.Settings(150, 0.9, 7)).write(dir.resolve("c"));

        // Clinical notes: a MIMIC-IV-Note file in the bucket → causal-LM dataset through tokenizer-svc.
        String key = "e2e/" + RUN + "/discharge.csv.gz";
        store.put(key, dir.resolve("c/synthetic_discharge.csv.gz"), Map.of());
        String notes = "e2e-notes-" + RUN;
        given().contentType("application/json")
                .body(Map.of(
                        "datasetId",
                        notes,
                        "model",
                        BASE_MODEL,
                        "kind",
                        "causal_lm",
                        "sources",
                        List.of(key),
                        "seqLen",
                        64))
                .post(tokenizer + "/v1/datasets")
                .then()
                .statusCode(202);

        // Task notes: one ClinicalNote record each on notes.raw → a streaming classification dataset.
        List<TaskExample> mor = new ArrayList<>();
        NoteFiles.readTaskFile(dir.resolve("c/synthetic_mor.csv"), CsvReader.OnMalformed.FAIL, mor::add);
        String stream = "e2e-mor-" + RUN;
        try (KafkaProducer<String, String> producer = KafkaTestClients.producer()) {
            for (TaskExample e : mor)
                producer.send(new ProducerRecord<>(
                        TestTopics.of("notes.raw"),
                        stream,
                        Events.toJson(ClinicalNote.of(stream, e.id(), e.subjectId(), e.text(), e.labels()))));
        }
        String morDs = "e2e-mor-ds-" + RUN;
        buildFromStream(store, tokenizer, stream, mor.size(), morDs);
        assertEquals(
                "ready",
                await(tokenizer + "/v1/datasets/" + notes, List.of("ready", "failed"))
                        .getString("status"));
        assertEquals(
                "ready",
                await(tokenizer + "/v1/datasets/" + morDs, List.of("ready", "failed"))
                        .getString("status"));

        // Clinical LoRA, then the downstream adapter stacked on its production alias, through trainer-svc.
        String clinical = "e2e-clinical-" + RUN, task = "e2e-mor-" + RUN;
        given().contentType("application/json")
                .body(Map.of(
                        "jobId",
                        clinical,
                        "kind",
                        "domain_adaptation",
                        "baseModel",
                        BASE_MODEL,
                        "datasets",
                        Map.of("train", notes),
                        "outputName",
                        clinical,
                        "optim",
                        Map.of("learningRate", 0.01, "batchSize", 8, "gradientAccumulation", 1, "maxSteps", 30)))
                .post(trainer + "/v1/jobs")
                .then()
                .statusCode(202);
        JsonPath c = await(trainer + "/v1/jobs/" + clinical, List.of("succeeded", "failed", "cancelled"));
        assertEquals("succeeded", c.getString("status"), c.prettify());
        RegistryClient reg = new RegistryClient(registry, TestAuth::allRoles);
        reg.moveAlias(clinical, "production", 1, null);
        given().contentType("application/json")
                .body(Map.of(
                        "jobId",
                        task,
                        "kind",
                        "downstream",
                        "baseModel",
                        BASE_MODEL,
                        "datasets",
                        Map.of("train", morDs),
                        "parent",
                        clinical + "@production",
                        "outputName",
                        task,
                        "task",
                        "mor",
                        "optim",
                        Map.of("learningRate", 0.01, "batchSize", 8, "gradientAccumulation", 1, "epochs", 3),
                        "seed",
                        1))
                .post(trainer + "/v1/jobs")
                .then()
                .statusCode(202);
        JsonPath d = await(trainer + "/v1/jobs/" + task, List.of("succeeded", "failed", "cancelled"));
        assertEquals("succeeded", d.getString("status"), d.prettify());
        assertEquals(clinical + "@1", d.getString("parent"));
        reg.moveAlias(task, "production", 1, null);

        // Scoring by the production alias: the stack the trainer published, with its lineage.
        JsonPath s = given().contentType("application/json")
                .body(Map.of(
                        "task",
                        task,
                        "notes",
                        List.of(mor.get(0).text(), mor.get(1).text())))
                .post("/v1/score")
                .then()
                .statusCode(200)
                .body("adapter.ref", equalTo(task + "@1"))
                .body("adapter.lineage", equalTo(List.of(clinical + "@1", task + "@1")))
                .extract()
                .jsonPath();
        for (int i = 0; i < 2; i++) {
            double p0 = s.getDouble("results[" + i + "].probabilities.'0'"),
                    p1 = s.getDouble("results[" + i + "].probabilities.'1'");
            assertEquals(1.0, p0 + p1, 1e-5);
            assertTrue(s.getInt("results[" + i + "].tokens") > 10);
        }
        System.out.printf(
                "RESULT end to end: clinical %s, downstream %s (test macro AUROC %.3f), scored through scorer-svc%n",
                c.getString("adapter"), d.getString("adapter"), d.getDouble("metrics.'test.macro_auroc'"));
    }
}
