package org.clinlora.trainer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.data.NoteFiles;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TaskRows;
import org.clinlora.model.data.TaskSource;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.BpeTokenizerBuilder;
import org.clinlora.model.text.NoteNormalizer;
import org.clinlora.platform.api.Problem;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.events.Events;
import org.clinlora.platform.events.TrainingCompleted;
import org.clinlora.platform.events.TrainingProgress;
import org.clinlora.platform.events.TrainingRequest;
import org.clinlora.platform.jobs.JobSpec;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.platform.store.StoredDatasets;
import org.clinlora.testing.KafkaTestClients;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TestTopics;
import org.clinlora.trainer.jobs.HaltAfterCheckpoint;
import org.clinlora.trainer.jobs.TrainingJobs;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The paper's two steps as trainer-svc jobs against the real local Kafka, S3Proxy and a running registry-svc, with the
 * tiny model and the planted-signal synthetic corpus (signal 0.9): Clinical LoRA, then Downstream LoRA for the five
 * tasks stacked on it, through REST and training.requests.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalServices.class, initArgs = @ResourceArg(name = "services", value = "registry"))
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrainingJobsTest {
    /** The fused adapters' macro AUROC on the held-out test split must reach this (the paper's headline metric). */
    static final double FUSED_MIN_AUROC = 0.9;
    /** An untrained head must stay within this distance of chance. */
    static final double UNTRAINED_MAX_DISTANCE = 0.15;

    static final ObjectMapper JSON = new ObjectMapper();
    static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    static final String MODEL = "tiny-" + RUN, CLINICAL = "clinical-" + RUN;
    static ObjectStore store;
    static boolean prepared;
    static String clinicalRef;

    @Inject
    TrainingJobs jobs;

    @Inject
    HaltAfterCheckpoint crashes;

    @Inject
    MeterRegistry meters;

    @ConfigProperty(name = "clinlora.registry.url")
    String registryUrl;

    @BeforeEach
    void prepare() throws IOException {
        if (prepared) return;
        store = new ObjectStore(LocalInfra.s3Settings());
        Path dir = Files.createTempDirectory("trainer-test");
        TinyLlama.write(
                dir.resolve("m"),
                new TinyLlama.Spec(2000, 64, 2, 4, 2, TinyLlama.Spec.defaultIntermediate(64), 512, false, 8));
        new ModelStore(store).upload(MODEL, dir.resolve("m"));
        new SyntheticCorpus(new SyntheticCorpus.Settings(400, 0.9, 5)).write(dir.resolve("c"));
        build(
                dir,
                "notes-" + RUN,
                TaskKind.CAUSAL_LM,
                64,
                null,
                b -> NoteFiles.readMimicNotes(
                        dir.resolve("c/synthetic_discharge.csv.gz"),
                        CsvReader.OnMalformed.FAIL,
                        n -> add(b, n.noteId(), n.subjectId(), n.text(), null)));
        // Mortality as the CORe recipe ships it: MP_IN_adm_{train,val,test}.csv, used as given.
        new SyntheticCorpus(new SyntheticCorpus.Settings(400, 0.9, 5)).writeRecipes(dir.resolve("r"));
        TaskSource core = new TaskSource(
                null,
                dir.resolve("r/core/MP_IN_adm_train.csv").toString(),
                dir.resolve("r/core/MP_IN_adm_val.csv").toString(),
                dir.resolve("r/core/MP_IN_adm_test.csv").toString(),
                "core",
                null,
                null,
                null,
                null);
        coreTestRows = 0;
        NoteFiles.readTaskFile(
                dir.resolve("r/core/MP_IN_adm_test.csv"),
                core.columns(),
                CsvReader.OnMalformed.FAIL,
                e -> coreTestRows++);
        build(
                dir,
                "mor-core-" + RUN,
                TaskKind.SEQ_CLS,
                128,
                TaskRows.labels(core, TaskRows.files(), CsvReader.OnMalformed.FAIL),
                b -> TaskRows.addAll(core, TaskRows.files(), CsvReader.OnMalformed.FAIL, b));
        for (SyntheticCorpus.Task t : SyntheticCorpus.TASKS) {
            build(
                    dir,
                    t.name() + "-" + RUN,
                    TaskKind.SEQ_CLS,
                    128,
                    new DatasetBuilder.LabelSpace(t.labelNames(), t.multilabel()),
                    b -> NoteFiles.readTaskFile(
                            dir.resolve("c/synthetic_" + t.name() + ".csv"),
                            CsvReader.OnMalformed.FAIL,
                            e -> add(b, e.id(), e.subjectId(), e.text(), e.labels())));
        }
        prepared = true;
    }

    static long coreTestRows;

    interface Feed {
        void into(DatasetBuilder b) throws IOException;
    }

    /** A dataset in the bucket exactly as tokenizer-svc writes it. */
    static void build(Path dir, String id, TaskKind kind, int seqLen, DatasetBuilder.LabelSpace labels, Feed feed)
            throws IOException {
        var s = new DatasetBuilder.Settings(
                kind,
                seqLen,
                NoteEncoding.Truncation.HEAD,
                NoteNormalizer.DEFAULT,
                0.15,
                0.25,
                0,
                128,
                BpeTokenizerBuilder.BOS_ID,
                BpeTokenizerBuilder.EOS_ID,
                BpeTokenizerBuilder.PAD_ID);
        try (DatasetBuilder b = new DatasetBuilder(
                id, s, labels, dir.resolve("m/tokenizer.json"), StoredDatasets.sink(store, StoreLayout.dataset(id)))) {
            feed.into(b);
            b.commit();
        }
    }

    static void add(DatasetBuilder b, String id, String subject, String text, List<String> labels) {
        try {
            b.add(id, subject, text, labels);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String downstream(String jobId, String task, String parent, String optim) {
        return "{\"jobId\":\"" + jobId + "\",\"kind\":\"downstream\",\"baseModel\":\"" + MODEL
                + "\",\"datasets\":{\"train\":\"" + task + "-" + RUN + "\"},"
                + (parent == null ? "" : "\"parent\":\"" + parent + "\",")
                + "\"outputName\":\"" + jobId + "\",\"task\":\"" + task + "\",\"optim\":" + optim + ",\"seed\":1}";
    }

    /**
     * The fused jobs' optimizer: 8 epochs at 0.015 clear {@link #FUSED_MIN_AUROC} on every task by as much as the
     * former 10 epochs at 0.01 (lowest task 0.933, 0.932, 0.931 with seeds 1, 2, 3; 10 epochs: 0.937, 0.934) in 80 % of
     * the steps; 7 epochs fell to 0.894 with seed 2.
     */
    static final String TRAIN = "{\"learningRate\":0.015,\"batchSize\":8,\"gradientAccumulation\":1,\"epochs\":8}";

    static JsonPath await(String id, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            JsonPath j = given().get("/v1/jobs/" + id)
                    .then()
                    .statusCode(200)
                    .extract()
                    .jsonPath();
            if (List.of("succeeded", "failed", "cancelled").contains(j.getString("status"))) return j;
            Thread.sleep(200);
        }
        throw new AssertionError("job " + id + " did not finish in " + timeout);
    }

    /** Jobs this replica is running now (its Prometheus gauge). */
    double runningJobs() {
        return meters.get("clinlora.trainer.jobs")
                .tag("state", "running")
                .gauge()
                .value();
    }

    @Test
    @Order(1)
    void aClinicalLoraJobLowersHeldOutPerplexityIsPublishedAndStreamsProgress() throws Exception {
        String id = CLINICAL;
        try (KafkaConsumer<String, String> events = KafkaTestClients.consumer(TestTopics.of("training.events"))) {
            given().contentType("application/json")
                    .body(
                            "{\"jobId\":\"" + id + "\",\"kind\":\"domain_adaptation\",\"baseModel\":\"" + MODEL
                                    + "\",\"datasets\":{\"train\":\"notes-" + RUN + "\"},\"outputName\":\"" + CLINICAL
                                    + "\",\"optim\":{\"learningRate\":0.01,\"batchSize\":8,\"gradientAccumulation\":1,\"epochs\":2,\"maxSteps\":100},\"checkpointEvery\":20}")
                    .post("/v1/jobs")
                    .then()
                    .statusCode(202)
                    .body("jobId", equalTo(id))
                    .body("requestedBy", equalTo("test-user"))
                    .body("spec.lora.r", equalTo(16))
                    .body("spec.lora.alpha", equalTo(32.0f))
                    .body("spec.lora.targetModules", equalTo(List.of("q_proj", "v_proj")));
            JsonPath done = await(id, Duration.ofMinutes(3));
            assertEquals("succeeded", done.getString("status"), done.prettify());
            double before = done.getDouble("metrics.'before.perplexity'"),
                    after = done.getDouble("metrics.'validation.perplexity'");
            System.out.printf("RESULT clinical LoRA: held-out perplexity %.1f -> %.1f%n", before, after);
            assertTrue(after < before * 0.85, "held-out perplexity " + before + " -> " + after);
            clinicalRef = done.getString("adapter");
            assertEquals(CLINICAL + "@1", clinicalRef);

            List<Event> seen = new ArrayList<>();
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < end && seen.stream().noneMatch(e -> e instanceof TrainingCompleted)) {
                for (ConsumerRecord<String, String> r : events.poll(Duration.ofMillis(200)))
                    if (id.equals(r.key())) seen.add(Events.parse(r.value()));
            }
            List<TrainingProgress> progress = seen.stream()
                    .filter(e -> e instanceof TrainingProgress)
                    .map(e -> (TrainingProgress) e)
                    .toList();
            assertEquals(100, progress.size(), "one progress event per optimizer step");
            TrainingProgress last = progress.get(progress.size() - 1);
            assertEquals(100, last.step());
            assertTrue(last.tokensPerSecond() > 0 && last.learningRate() >= 0 && Double.isFinite(last.loss()));
            assertTrue(seen.stream()
                    .anyMatch(
                            e -> e instanceof TrainingCompleted c && c.adapter().equals(clinicalRef)));
        }
        AdapterCard card = new RegistryClient(registryUrl, TestAuth::allRoles)
                .card(CLINICAL, 1)
                .orElseThrow();
        assertEquals("CAUSAL_LM", card.taskType());
        assertEquals(id, card.trainingConfig().get("jobId"));
        assertEquals("trainer-svc", card.publishedBy(), "published with trainer-svc's own token");
        assertEquals("test-user", card.trainingConfig().get("requestedBy"), "on behalf of the job's submitter");
        assertTrue(
                store.list(StoreLayout.trainingJob(id) + "checkpoints/").isEmpty(),
                "checkpoints are removed once the job is done");
    }

    @Test
    @Order(2)
    void downstreamJobsForAllFiveTasksStackedOnTheClinicalAdapterReachTheThreshold() throws Exception {
        assertNotNull(clinicalRef, "needs the clinical adapter of the first test");
        Map<String, String> ids = new HashMap<>();
        // LOS, MOR and PMV through REST; DIAG and PROC as an MLOps pipeline would, through training.requests.
        for (String task : List.of("los", "mor", "pmv")) {
            String id = task + "-fused-" + RUN;
            given().contentType("application/json")
                    .body(downstream(id, task, clinicalRef, TRAIN))
                    .post("/v1/jobs")
                    .then()
                    .statusCode(202);
            ids.put(task, id);
        }
        try (KafkaProducer<String, String> producer = KafkaTestClients.producer()) {
            for (String task : List.of("diag", "proc")) {
                String id = task + "-fused-" + RUN;
                JobSpec spec = JSON.readValue(downstream(id, task, clinicalRef, TRAIN), JobSpec.class);
                String record = Events.toJson(TrainingRequest.of(spec));
                producer.send(new ProducerRecord<>(TestTopics.of("training.requests"), id, record));
                producer.send(new ProducerRecord<>(
                        TestTopics.of("training.requests"), id, record)); // redelivered: still one job
                ids.put(task, id);
            }
            producer.send(new ProducerRecord<>(
                    TestTopics.of("training.requests"),
                    "bad",
                    "{\"type\":\"TrainingRequest\",\"spec\":{\"jobId\":\"poison-" + RUN + "\",\"kind\":\"nope\"}}"));
        }
        RegistryClient registry = new RegistryClient(registryUrl, TestAuth::allRoles);
        for (var e : ids.entrySet()) {
            JsonPath done = await(e.getValue(), Duration.ofMinutes(4));
            assertEquals("succeeded", done.getString("status"), done.prettify());
            double auroc = done.getDouble("metrics.'test.macro_auroc'");
            System.out.printf(
                    "RESULT fused %s: test macro AUROC %.3f (validation %.3f)%n",
                    e.getKey(), auroc, done.getDouble("metrics.'validation.macro_auroc'"));
            assertTrue(auroc >= FUSED_MIN_AUROC, e.getKey() + ": test macro AUROC " + auroc + " < " + FUSED_MIN_AUROC);
            RegistryClient.Resolved r = registry.resolve(e.getValue(), "1");
            assertEquals(
                    List.of(clinicalRef, e.getValue() + "@1"),
                    r.lineage().stream().map(AdapterCard::ref).toList(),
                    "lineage to the clinical adapter");
            assertEquals(
                    1,
                    registry.versions(e.getValue()).size(),
                    "one version per job, even when the request was delivered twice");
        }
    }

    @Test
    @Order(3)
    void anUntrainedHeadStaysNearChance() throws Exception {
        String id = "untrained-" + RUN;
        given().contentType("application/json")
                .body(downstream(id, "los", clinicalRef, "{\"learningRate\":1e-9,\"maxSteps\":1}"))
                .post("/v1/jobs")
                .then()
                .statusCode(202);
        JsonPath done = await(id, Duration.ofMinutes(2));
        assertEquals("succeeded", done.getString("status"), done.prettify());
        double auroc = done.getDouble("metrics.'test.macro_auroc'");
        System.out.printf("RESULT untrained los: test macro AUROC %.3f%n", auroc);
        assertTrue(Math.abs(auroc - 0.5) <= UNTRAINED_MAX_DISTANCE, "untrained: " + auroc);
    }

    @Test
    @Order(4)
    void aJobKilledAfterACheckpointResumesAndEndsWithTheSameAdapter() throws Exception {
        String optim = "{\"learningRate\":0.01,\"batchSize\":4,\"gradientAccumulation\":2,\"maxSteps\":12}";
        String reference = "resume-ref-" + RUN, killed = "resume-kill-" + RUN;
        given().contentType("application/json")
                .body(downstream(reference, "mor", clinicalRef, optim)
                        .replace("\"seed\":1", "\"seed\":1,\"checkpointEvery\":4"))
                .post("/v1/jobs")
                .then()
                .statusCode(202);
        assertEquals("succeeded", await(reference, Duration.ofMinutes(2)).getString("status"));

        crashes.haltAfterCheckpoint(killed, 8);
        given().contentType("application/json")
                .body(downstream(killed, "mor", clinicalRef, optim)
                        .replace("\"seed\":1", "\"seed\":1,\"checkpointEvery\":4"))
                .post("/v1/jobs")
                .then()
                .statusCode(202);
        // Wait for proof that the kill has happened and the worker has left the job (this replica runs no job any
        // more), so nothing can change its record after this; then it must still say running, as after a kill.
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < end && !(crashes.halted(killed) && runningJobs() == 0)) Thread.sleep(100);
        assertTrue(crashes.halted(killed), "the job was stopped after its checkpoint of step 8");
        assertEquals(0, runningJobs(), "the worker has left the killed job");
        JsonPath state = given().get("/v1/jobs/" + killed).then().extract().jsonPath();
        assertEquals("running", state.getString("status"));
        assertEquals(8, state.getInt("checkpointStep"));
        assertTrue(store.getBytes(StoreLayout.trainingJob(killed) + "checkpoint.json")
                .isPresent());

        // The worker may still be releasing the killed job's lease for a moment: recovery finds the job once it is
        // free.
        long found = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int recovered = jobs.recover();
        while (recovered < 1 && System.nanoTime() < found) {
            Thread.sleep(100);
            recovered = jobs.recover();
        }
        assertTrue(recovered >= 1, "the interrupted job is found (as at startup)");
        JsonPath done = await(killed, Duration.ofMinutes(2));
        assertEquals("succeeded", done.getString("status"), done.prettify());
        RegistryClient registry = new RegistryClient(registryUrl, TestAuth::allRoles);
        String a = registry.card(reference, 1)
                .orElseThrow()
                .files()
                .get("adapter_model.safetensors")
                .sha256();
        String b = registry.card(killed, 1)
                .orElseThrow()
                .files()
                .get("adapter_model.safetensors")
                .sha256();
        assertEquals(a, b, "the resumed job's adapter is byte-identical to the uninterrupted one's");

        // The per-step curve: one point per optimizer step although steps 9.. ran twice, the same losses as the
        // uninterrupted run.
        JsonPath curve = given().get("/v1/jobs/" + killed + "/metrics")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        JsonPath refCurve = given().get("/v1/jobs/" + reference + "/metrics")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        int total = done.getInt("progress.totalSteps");
        assertEquals(IntStream.rangeClosed(1, total).boxed().toList(), curve.getList("steps.step", Integer.class));
        List<Float> losses = curve.getList("steps.loss", Float.class),
                refLosses = refCurve.getList("steps.loss", Float.class);
        for (int i = 0; i < total; i++) assertEquals(refLosses.get(i), losses.get(i), 1e-5f, "loss at step " + (i + 1));
        assertEquals(
                List.of(),
                given().get("/v1/jobs/" + killed + "/metrics?after=" + total)
                        .then()
                        .extract()
                        .jsonPath()
                        .getList("steps"));
        given().get("/v1/jobs/no-such-job-" + RUN + "/metrics").then().statusCode(404);

        // The test split's curves are published with the version, and their area is the reported AUROC.
        var card = registry.card(killed, 1).orElseThrow();
        assertTrue(
                card.files().containsKey("evaluation.json"),
                String.valueOf(card.files().keySet()));
        Path eval = registry.download(card, Files.createTempDirectory("eval")).resolve("evaluation.json");
        JsonPath e = JsonPath.from(eval.toFile());
        assertEquals(card.metrics().get("test.macro_auroc"), e.getDouble("curves.macroAuroc"), 1e-6);
        assertEquals(card.metrics().get("test.macro_auroc"), e.getDouble("metrics.macro_auroc"), 1e-6);
    }

    @Test
    @Order(5)
    void aCancelledJobPublishesNothing() throws Exception {
        String id = "cancel-" + RUN;
        given().contentType("application/json")
                .body(downstream(id, "los", null, "{\"learningRate\":0.01,\"maxSteps\":100000}"))
                .post("/v1/jobs")
                .then()
                .statusCode(202);
        // Cancelled mid-training: once it has logged a step.
        long end = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (System.nanoTime() < end
                && given().get("/v1/jobs/" + id).then().extract().path("progress.step") == null) Thread.sleep(100);
        given().delete("/v1/jobs/" + id).then().statusCode(202);
        JsonPath done = await(id, Duration.ofMinutes(1));
        assertEquals("cancelled", done.getString("status"));
        assertTrue(
                new RegistryClient(registryUrl, TestAuth::allRoles).versions(id).isEmpty(), "nothing published");
        given().delete("/v1/jobs/" + id).then().statusCode(409);
    }

    @Test
    @Order(6)
    void aJobOnTheRecipesOwnSplitsIsScoredOnTheirTestRowsAtItsBestEpoch() throws Exception {
        String id = "mor-core-job-" + RUN;
        given().contentType("application/json")
                .body(downstream(
                        id,
                        "mor-core",
                        null,
                        "{\"learningRate\":0.01,\"batchSize\":8,\"gradientAccumulation\":1,\"epochs\":2}"))
                .post("/v1/jobs")
                .then()
                .statusCode(202);
        JsonPath done = await(id, Duration.ofMinutes(3));
        assertEquals("succeeded", done.getString("status"), done.prettify());
        assertEquals((double) coreTestRows, done.getDouble("metrics.'test.rows'"), "the test file's rows, as given");
        double epoch = done.getDouble("metrics.'train.selected_epoch'");
        assertTrue(epoch >= 1 && epoch <= 2, "the kept epoch is one of the two: " + epoch);
    }

    @Test
    @Order(6)
    void aJobRunsThePaperCodesProtocolAndStoresIt() throws Exception {
        // The revised paper code's choices: class weights, the epoch with the lowest validation loss, one-vs-one AUROC.
        String id = "mor-code-job-" + RUN;
        String body = downstream(
                        id,
                        "mor-core",
                        null,
                        "{\"learningRate\":0.01,\"batchSize\":8,\"gradientAccumulation\":1,\"epochs\":2,"
                                + "\"warmupSteps\":0.06,\"weightDecay\":0.01,\"maxGradNorm\":0}")
                .replace(
                        ",\"seed\":1}",
                        ",\"seed\":1,\"protocol\":{\"classWeighting\":\"inverse-frequency\","
                                + "\"selection\":\"lowest-validation-loss\",\"multiclassAuroc\":\"ovo\"}}");
        given().contentType("application/json")
                .body(body)
                .post("/v1/jobs")
                .then()
                .statusCode(202);
        JsonPath done = await(id, Duration.ofMinutes(3));
        assertEquals("succeeded", done.getString("status"), done.prettify());
        assertEquals("lowest-validation-loss", done.getString("spec.protocol.selection"), "the stored spec says it");
        assertEquals("sum", done.getString("spec.protocol.stacking"), "absent choices are completed");
        assertEquals(0.06, done.getDouble("spec.optim.warmupSteps"), 1e-12);
        double epoch = done.getDouble("metrics.'train.selected_epoch'");
        assertTrue(epoch >= 1 && epoch <= 2, "an epoch was chosen by validation loss: " + epoch);
        assertTrue(done.getDouble("metrics.'validation.loss'") > 0, "the kept epoch's validation loss is reported");
        given().contentType("application/json")
                .body(body.replace(id, id + "-bad").replace("\"ovo\"", "\"ovx\""))
                .post("/v1/jobs")
                .then()
                .statusCode(400)
                .body("detail", containsString("protocol."));
    }

    @Test
    @Order(7)
    void badJobsAreClear4xxAndPoisonRequestsGoToTheDeadLetterTopic() throws Exception {
        String ok = downstream("bad-" + RUN, "los", null, "{\"maxSteps\":1}");
        given().contentType("application/json")
                .body(ok.replace("\"downstream\"", "\"pretraining\""))
                .post("/v1/jobs")
                .then()
                .statusCode(400)
                .body("detail", containsString("kind"));
        given().contentType("application/json")
                .body(ok.replace("los-" + RUN, "nope-" + RUN))
                .post("/v1/jobs")
                .then()
                .statusCode(404)
                .body("detail", containsString("unknown dataset"));
        given().contentType("application/json")
                .body(ok.replace(MODEL, "no-model"))
                .post("/v1/jobs")
                .then()
                .statusCode(404);
        given().contentType("application/json")
                .body(ok.replace("\"seed\":1", "\"seed\":1,\"device\":\"cpu\",\"precision\":\"bf16\""))
                .post("/v1/jobs")
                .then()
                .statusCode(400)
                .body("detail", containsString("bf16 is not supported"))
                .body("detail", not(containsString("\n")));
        given().contentType("application/json")
                .body(ok.replace("\"seed\":1", "\"seed\":1,\"device\":\"cuda:0\""))
                .post("/v1/jobs")
                .then()
                .statusCode(422)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("status", equalTo(422))
                .body("reason", equalTo("device_unavailable"));
        given().contentType("application/json")
                .body(ok.replace("\"task\"", "\"parent\":\"no-such-adapter@production\",\"task\""))
                .post("/v1/jobs")
                .then()
                .statusCode(404)
                .body("detail", containsString("parent"));
        given().contentType("application/json")
                .body(ok.replace("\"outputName\":\"bad-" + RUN, "\"outputName\":\"../x"))
                .post("/v1/jobs")
                .then()
                .statusCode(400);
        given().contentType("application/json")
                .body("{\"kind\": [1]}")
                .post("/v1/jobs")
                .then()
                .statusCode(400);
        // The same id with another spec is a conflict, not a second job.
        String first = downstream("same-" + RUN, "los", null, "{\"learningRate\":1e-9,\"maxSteps\":1}");
        given().contentType("application/json")
                .body(first)
                .post("/v1/jobs")
                .then()
                .statusCode(202);
        given().contentType("application/json")
                .body(first)
                .post("/v1/jobs")
                .then()
                .statusCode(200);
        given().contentType("application/json")
                .body(first.replace("1e-9", "1e-8"))
                .post("/v1/jobs")
                .then()
                .statusCode(409);
        given().get("/v1/jobs/nope-" + RUN).then().statusCode(404);
        given().get("/v1/jobs").then().statusCode(200);
        await("same-" + RUN, Duration.ofMinutes(1));

        try (KafkaConsumer<String, String> dlq = KafkaTestClients.consumer(TestTopics.of("training.requests.dlq"))) {
            boolean found = false;
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!found && System.nanoTime() < end) {
                for (ConsumerRecord<String, String> r : dlq.poll(Duration.ofMillis(200))) {
                    if (r.value().contains("poison-" + RUN)) {
                        found = true;
                        assertTrue(new String(r.headers()
                                        .lastHeader("dead-letter-reason")
                                        .value())
                                .contains("kind"));
                    }
                }
            }
            assertTrue(found, "the poison training request reached training.requests.dlq");
        }
        assertTrue(
                store.list(StoreLayout.trainingJob("poison-" + RUN)).isEmpty(),
                "a poison request leaves no job behind");
    }
}
