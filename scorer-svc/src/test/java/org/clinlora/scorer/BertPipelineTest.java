package org.clinlora.scorer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.Compute;
import org.clinlora.model.bert.TinyBert;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.NoteFiles;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TaskExample;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestAuth;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * A BERT-family base through the services (registry-svc, tokenizer-svc, trainer-svc as separate processes; this scorer
 * in the test, configured with that base as a per-base scorer deployment is): a pushed BERT checkpoint, a
 * classification dataset tokenized with its WordPiece tokenizer ([CLS] … [SEP] rows), a LoRA job whose adapter PEFT
 * would recognise (query/value, the classifier as modules_to_save), scored and evaluated by the scorer with the
 * trainer's own numbers.
 */
@QuarkusTest
@TestProfile(BertPipelineTest.BertBase.class)
@QuarkusTestResource(
        value = LocalServices.class,
        initArgs = @ResourceArg(name = "services", value = "registry,tokenizer,trainer"))
class BertPipelineTest {
    /** The same in the test's and the application's class loaders (a random id would differ between them). */
    static final String BERT = "e2e-bert-" + ProcessHandle.current().pid();

    public static class BertBase implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("clinlora.scorer.base-model", BERT);
        }
    }

    static void awaitReady() throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end && given().get("/q/health/ready").statusCode() != 200) Thread.sleep(250);
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/health/started").then().statusCode(200);
    }

    @ConfigProperty(name = "clinlora.registry.url")
    String registry;

    @ConfigProperty(name = "clinlora.tokenizer.url")
    String tokenizer;

    @ConfigProperty(name = "clinlora.trainer.url")
    String trainer;

    @Test
    void aBertLoraTrainedThroughTheTrainerIsScoredByAScorerServingThatBase() throws Exception {
        // Configured for a base that is not pushed yet (a deployment applied before the push): alive, not ready.
        // "loading" until the loader's first look in the store, which a busy machine can delay by many seconds.
        String state = "";
        for (long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                !state.equals("waiting") && System.nanoTime() < end; ) {
            state = given().get("/q/health/ready")
                    .then()
                    .statusCode(503)
                    .extract()
                    .jsonPath()
                    .getString("checks.find { it.name == 'base-model' }.data.state");
        }
        assertEquals("waiting", state, "the base-model check while the model is not in the store");
        given().get("/q/health/live").then().statusCode(200);
        ObjectStore store = new ObjectStore(LocalInfra.s3Settings());
        Path dir = Files.createTempDirectory("e2e-bert");
        TinyBert.write(dir.resolve("bert"), new TinyBert.Spec(2000, 64, 2, 4, 256, 512, 8));
        PipelineEndToEndTest.pushModel(
                registry, BERT, dir.resolve("bert")); // the registry checks it as a BERT checkpoint
        new SyntheticCorpus(new SyntheticCorpus.Settings(150, 0.9, 7)).write(dir.resolve("c"));

        // An encoder takes classification rows only: a causal-LM build on it is refused up front.
        given().contentType("application/json")
                .body(Map.of(
                        "datasetId",
                        BERT + "-notes",
                        "model",
                        BERT,
                        "kind",
                        "causal_lm",
                        "sources",
                        List.of("x/y.csv")))
                .post(tokenizer + "/v1/datasets")
                .then()
                .statusCode(422)
                .body("detail", containsString("classification datasets only"));

        String key = "e2e/" + BERT + "/mor.csv";
        store.put(key, dir.resolve("c/synthetic_mor.csv"), Map.of());
        String ds = BERT + "-mor";
        given().contentType("application/json")
                .body(Map.of(
                        "datasetId",
                        ds,
                        "model",
                        BERT,
                        "kind",
                        "classification",
                        "sources",
                        List.of(key),
                        "labels",
                        List.of("0", "1"),
                        "seqLen",
                        128))
                .post(tokenizer + "/v1/datasets")
                .then()
                .statusCode(202);
        JsonPath built = PipelineEndToEndTest.await(tokenizer + "/v1/datasets/" + ds, List.of("ready", "failed"));
        assertEquals("ready", built.getString("status"), built.prettify());

        // What an encoder cannot train is refused when the job is submitted, with the reason.
        given().contentType("application/json")
                .body(Map.of(
                        "kind",
                        "downstream",
                        "baseModel",
                        BERT,
                        "datasets",
                        Map.of("train", ds),
                        "outputName",
                        "x",
                        "lora",
                        Map.of("targetModules", List.of("q_proj", "v_proj"))))
                .post(trainer + "/v1/jobs")
                .then()
                .statusCode(422)
                .body("detail", containsString("not BERT projections"));
        given().contentType("application/json")
                .body(Map.of(
                        "kind",
                        "domain_adaptation",
                        "baseModel",
                        BERT,
                        "datasets",
                        Map.of("train", ds),
                        "outputName",
                        "x"))
                .post(trainer + "/v1/jobs")
                .then()
                .statusCode(422)
                .body("detail", containsString("needs a LLaMA base"));

        // A downstream LoRA on the BERT base: no targets given, so the architecture's own (query, value).
        String task = BERT + "-mor-lora";
        given().contentType("application/json")
                .body(Map.of(
                        "jobId",
                        task,
                        "kind",
                        "downstream",
                        "baseModel",
                        BERT,
                        "datasets",
                        Map.of("train", ds),
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
                .statusCode(202)
                .body("spec.lora.targetModules", equalTo(List.of("query", "value")));
        JsonPath job =
                PipelineEndToEndTest.await(trainer + "/v1/jobs/" + task, List.of("succeeded", "failed", "cancelled"));
        assertEquals("succeeded", job.getString("status"), job.prettify());
        double trainerTestAuroc = job.getDouble("metrics.'test.macro_auroc'");

        // What the registry holds is a PEFT SEQ_CLS adapter for BertForSequenceClassification.
        RegistryClient reg = new RegistryClient(registry, TestAuth::allRoles);
        AdapterCard card = reg.card(task, 1).orElseThrow();
        assertEquals(BERT, card.baseModel().id());
        Path adapter = reg.download(card, dir.resolve("adapter"));
        JsonNode cfg = new ObjectMapper()
                .readTree(adapter.resolve(PeftAdapterDir.CONFIG).toFile());
        assertEquals("[\"query\",\"value\"]", cfg.get("target_modules").toString());
        assertEquals("[\"classifier\"]", cfg.get("modules_to_save").toString());
        try (SafeTensorsReader r = SafeTensors.open(adapter.resolve(PeftAdapterDir.WEIGHTS))) {
            assertTrue(r.contains("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight"));
            assertTrue(r.contains("base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight"));
            assertEquals(
                    List.of(2L),
                    Arrays.stream(r.entry("base_model.model.classifier.bias").shape())
                            .boxed()
                            .toList());
        }
        reg.moveAlias(task, "production", 1, null);

        // Loaded at start once it was pushed (looked for again with backoff): ready, and scored by this scorer
        // (base-model = the BERT), notes encoded as the training rows were.
        awaitReady();
        List<TaskExample> mor = new ArrayList<>();
        NoteFiles.readTaskFile(dir.resolve("c/synthetic_mor.csv"), CsvReader.OnMalformed.FAIL, mor::add);
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
                .extract()
                .jsonPath();
        for (int i = 0; i < 2; i++) {
            assertEquals(
                    1.0,
                    s.getDouble("results[" + i + "].probabilities.'0'")
                            + s.getDouble("results[" + i + "].probabilities.'1'"),
                    1e-5);
            int tokens = s.getInt("results[" + i + "].tokens");
            assertTrue(tokens > 10 && tokens <= 128, "tokens " + tokens);
        }
        // The whole test split through the scorer gives the trainer's test macro AUROC.
        JsonPath e = given().contentType("application/json")
                .body(Map.of("datasetId", ds, "task", task + "@1", "split", "test"))
                .post("/v1/evaluate")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertEquals(trainerTestAuroc, e.getDouble("metrics.macro_auroc"), 1e-4, "scorer vs trainer test macro AUROC");
        System.out.printf(
                "RESULT BERT end to end: %s on %s, test macro AUROC trainer %.4f, scorer %.4f%n",
                task, BERT, trainerTestAuroc, e.getDouble("metrics.macro_auroc"));

        // Full fine-tuning of the same base publishes a new base model (a BertForSequenceClassification directory).
        String full = BERT + "-mor-full";
        given().contentType("application/json")
                .body(Map.of(
                        "jobId",
                        full,
                        "kind",
                        "downstream",
                        "mode",
                        "full",
                        "baseModel",
                        BERT,
                        "datasets",
                        Map.of("train", ds),
                        "outputName",
                        full,
                        "task",
                        "mor",
                        "optim",
                        Map.of("learningRate", 0.001, "batchSize", 8, "gradientAccumulation", 1, "epochs", 1),
                        "seed",
                        1))
                .post(trainer + "/v1/jobs")
                .then()
                .statusCode(202);
        JsonPath fj =
                PipelineEndToEndTest.await(trainer + "/v1/jobs/" + full, List.of("succeeded", "failed", "cancelled"));
        assertEquals("succeeded", fj.getString("status"), fj.prettify());
        assertEquals(full, fj.getString("model"));
        assertEquals(null, fj.getString("adapter"));
        given().get(registry + "/v1/models/" + full).then().statusCode(200);
        Path fetched = new ModelStore(store).fetchModelDir(full, dir.resolve("cache"));
        JsonNode config =
                new ObjectMapper().readTree(fetched.resolve("config.json").toFile());
        assertEquals(
                "BertForSequenceClassification",
                config.path("architectures").get(0).asText());
        assertEquals("1", config.path("id2label").path("1").asText());
        JsonNode training =
                new ObjectMapper().readTree(fetched.resolve("training.json").toFile());
        assertEquals(full, training.path("jobId").asText());
        assertEquals(
                fj.getDouble("metrics.'test.macro_auroc'"),
                training.path("metrics").path("test.macro_auroc").asDouble(),
                1e-6);
        try (BaseModel m = BaseModel.load(fetched, Compute.CPU_FP32)) {
            assertTrue(m.hasScoreHead(List.of()), "the fine-tuned model carries its classifier");
        }
        // A second job with the same output name cannot replace it: a model id names one set of weights.
        given().contentType("application/json")
                .body(Map.of(
                        "jobId",
                        full + "-again",
                        "kind",
                        "downstream",
                        "mode",
                        "full",
                        "baseModel",
                        BERT,
                        "datasets",
                        Map.of("train", ds),
                        "outputName",
                        full,
                        "optim",
                        Map.of("learningRate", 0.002, "batchSize", 8, "maxSteps", 2),
                        "seed",
                        2))
                .post(trainer + "/v1/jobs")
                .then()
                .statusCode(202);
        JsonPath again = PipelineEndToEndTest.await(
                trainer + "/v1/jobs/" + full + "-again", List.of("succeeded", "failed", "cancelled"));
        assertEquals("failed", again.getString("status"), again.prettify());
        assertTrue(again.getString("reason").contains("already exists with other files"), again.getString("reason"));
    }
}
