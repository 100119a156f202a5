package org.clinlora.tokenizer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.NoteFiles;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TaskColumns;
import org.clinlora.model.data.TaskExample;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.text.NoteNormalizer;
import org.clinlora.platform.api.Problem;
import org.clinlora.platform.events.ClinicalNote;
import org.clinlora.platform.events.DatasetReady;
import org.clinlora.platform.events.Events;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.testing.KafkaTestClients;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalInfraResource;
import org.clinlora.testing.TestTopics;
import org.clinlora.tokenizer.datasets.DatasetBuilds;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Dataset builds against the real local Kafka and S3Proxy: from a synthetic MIMIC-IV-Note file in the bucket, from an
 * uploaded task file, from notes.raw records (with redeliveries and a poison record), and after an interrupted build.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class DatasetsApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static String model;
    static Path corpus;
    static ObjectStore store;

    @Inject
    DatasetBuilds builds;

    @BeforeEach
    void setUp() throws Exception {
        if (model != null) return;
        store = new ObjectStore(LocalInfra.s3Settings());
        Path dir = Files.createTempDirectory("datasets-test");
        TinyLlama.write(dir.resolve("m"), new TinyLlama.Spec(900, 32, 1, 4, 2, 96, 512, false, 8));
        model = "tiny-" + UUID.randomUUID().toString().substring(0, 8);
        new ModelStore(store).upload(model, dir.resolve("m"));
        corpus = dir.resolve("corpus");
        new SyntheticCorpus(new SyntheticCorpus.Settings(40, 0.8, 3)).write(corpus);
    }

    static JsonPath awaitFinished(String id) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            JsonPath j = given().get("/v1/datasets/" + id)
                    .then()
                    .statusCode(200)
                    .extract()
                    .jsonPath();
            if (List.of("ready", "failed").contains(j.getString("status"))) return j;
            Thread.sleep(100);
        }
        throw new AssertionError("dataset " + id + " did not finish in 60 s");
    }

    /** Every shard the manifest lists is in the bucket with its sha256, and nothing else is under the prefix. */
    static long verifyShards(String id) throws Exception {
        String prefix = StoreLayout.dataset(id);
        JsonNode m = JSON.readTree(store.getBytes(prefix + "manifest.json").orElseThrow());
        Set<String> expected = new HashSet<>(Set.of(prefix + "manifest.json"));
        long rows = 0;
        for (JsonNode sh : m.get("shards")) {
            byte[] bytes = store.getBytes(prefix + sh.get("file").asText()).orElseThrow();
            assertEquals(sh.get("sha256").asText(), Sha256.of(bytes), "shard checksum");
            Path tmp = Files.createTempFile("shard", ".safetensors");
            Files.write(tmp, bytes);
            try (SafeTensorsReader r = SafeTensors.open(tmp)) {
                assertEquals(sh.get("rows").asLong(), r.entry("input_ids").shape()[0]);
                assertEquals(m.get("seqLen").asLong(), r.entry("input_ids").shape()[1]);
            }
            expected.add(prefix + sh.get("file").asText());
            rows += sh.get("rows").asLong();
        }
        assertEquals(expected, new HashSet<>(store.list(prefix)), "no stray objects beside the manifest's shards");
        return rows;
    }

    static List<DatasetReady> readyEvents(KafkaConsumer<String, String> c, Set<String> ids, Duration wait) {
        List<DatasetReady> out = new ArrayList<>();
        long end = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < end
                && out.stream().map(DatasetReady::datasetId).distinct().count() < ids.size()) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                if (ids.contains(r.key())) out.add((DatasetReady) Events.parse(r.value()));
            }
        }
        return out;
    }

    @Test
    void aCausalLmDatasetFromASyntheticMimicFileInTheBucketIsCompleteAndAnnounced() throws Exception {
        String key = "raw/" + UUID.randomUUID() + "/discharge.csv.gz";
        store.put(key, corpus.resolve("synthetic_discharge.csv.gz"), Map.of());
        try (KafkaConsumer<String, String> events = KafkaTestClients.consumer(TestTopics.of("datasets.ready"))) {
            JsonPath created = given().contentType("application/json")
                    .body("{\"model\":\"" + model + "\",\"kind\":\"causal_lm\",\"sources\":[\"" + key
                            + "\"],\"seqLen\":64,\"rowsPerShard\":16}")
                    .post("/v1/datasets")
                    .then()
                    .statusCode(202)
                    .header("Location", containsString("/v1/datasets/"))
                    .extract()
                    .jsonPath();
            String id = created.getString("datasetId");
            JsonPath done = awaitFinished(id);
            assertEquals("ready", done.getString("status"), done.prettify());
            long rows = verifyShards(id);
            assertTrue(rows > 20, "packed rows: " + rows);
            assertEquals(
                    rows,
                    done.getLong("counts.train.rows")
                            + done.getLong("counts.validation.rows")
                            + done.getLong("counts.test.rows"));
            assertEquals("causal_lm", done.getString("manifest.kind"));
            assertTrue(done.getString("manifest.synthetic").contains("not patient data"));
            long notes = 0;
            for (String s : List.of("train", "validation", "test")) notes += done.getLong("counts." + s + ".notes");
            long[] expected = {0};
            NoteFiles.readMimicNotes(
                    corpus.resolve("synthetic_discharge.csv.gz"), CsvReader.OnMalformed.FAIL, n -> expected[0]++);
            assertEquals(expected[0], notes, "every note read once");

            List<DatasetReady> seen = readyEvents(events, Set.of(id), Duration.ofSeconds(20));
            assertFalse(seen.isEmpty(), "DatasetReady on datasets.ready");
            assertEquals(done.getString("manifestSha256"), seen.get(0).manifestSha256());
            assertEquals(
                    done.getString("manifestSha256"),
                    Sha256.of(store.getBytes(StoreLayout.dataset(id) + "manifest.json")
                            .orElseThrow()));
        }
    }

    @Test
    void aClassificationDatasetFromAnUploadedTaskFileHasLabelsInAStableOrder() throws Exception {
        byte[] file = Files.readAllBytes(corpus.resolve("synthetic_diag.csv"));
        String id = "diag-" + UUID.randomUUID().toString().substring(0, 8);
        String q = "?model=" + model + "&kind=classification&seqLen=48&datasetId=" + id;
        given().contentType("text/csv")
                .body(file)
                .post("/v1/datasets" + q)
                .then()
                .statusCode(202)
                .body("datasetId", equalTo(id));
        // The same upload again is the same build; another file under the same id is a conflict.
        given().contentType("text/csv")
                .body(file)
                .post("/v1/datasets" + q)
                .then()
                .statusCode(200)
                .body("datasetId", equalTo(id));
        given().contentType("text/csv")
                .body("id,text,labels\n1,x,486\n")
                .post("/v1/datasets" + q)
                .then()
                .statusCode(409);
        JsonPath done = awaitFinished(id);
        assertEquals("ready", done.getString("status"), done.prettify());
        List<TaskExample> examples = new ArrayList<>();
        NoteFiles.readTaskFile(corpus.resolve("synthetic_diag.csv"), CsvReader.OnMalformed.FAIL, examples::add);
        assertEquals(examples.size(), verifyShards(id), "one row per note");
        List<String> names = done.getList("manifest.labelNames", String.class);
        assertEquals(names.stream().sorted().toList(), names);
        assertTrue(done.getBoolean("manifest.multilabel"));
        assertEquals(
                examples.stream().flatMap(e -> e.labels().stream()).distinct().count(), names.size());
    }

    @Test
    void aTasksOwnTrainValidationAndTestFilesAreUsedAsTheyAreInTheRecipesFormat() throws Exception {
        Path recipes = corpus.resolveSibling("recipes");
        new SyntheticCorpus(new SyntheticCorpus.Settings(40, 0.8, 3)).writeRecipes(recipes);
        String prefix = "raw/" + UUID.randomUUID() + "/";
        Map<String, String> keys = new LinkedHashMap<>();
        for (String split : List.of("train", "val", "test")) {
            Path f = recipes.resolve("core/DIA_PLUS_adm_" + split + ".csv");
            if (split.equals("test")) { // one code the training file never has, in the first test row
                Files.writeString(f, Files.readString(f) + "999999,a test-only code,\"4019,V9999\"\n");
            }
            keys.put(split, prefix + f.getFileName());
            store.put(prefix + f.getFileName(), f, Map.of());
        }
        String id = "core-" + UUID.randomUUID().toString().substring(0, 8);
        String body = "{\"model\":\"" + model
                + "\",\"kind\":\"classification\",\"format\":\"core\",\"seqLen\":48,\"datasetId\":\"" + id
                + "\",\"splits\":{\"train\":\"" + keys.get("train") + "\",\"validation\":\"" + keys.get("val")
                + "\",\"test\":\"" + keys.get("test") + "\"}}";
        given().contentType("application/json")
                .body(body)
                .post("/v1/datasets")
                .then()
                .statusCode(202);
        JsonPath done = awaitFinished(id);
        assertEquals("ready", done.getString("status"), done.prettify());
        assertEquals("given", done.getString("manifest.split.by"));
        Map<String, String> splitOf = Map.of("train", "train", "val", "validation", "test", "test");
        for (var e : splitOf.entrySet()) {
            long[] rows = {0};
            NoteFiles.readTaskFile(
                    recipes.resolve("core/DIA_PLUS_adm_" + e.getKey() + ".csv"),
                    new TaskColumns("core", null, null, null, null),
                    CsvReader.OnMalformed.FAIL,
                    t -> rows[0]++);
            assertEquals(
                    rows[0], done.getLong("counts." + e.getValue() + ".rows"), e.getKey() + ": every row, none moved");
        }
        assertEquals(
                1,
                done.getLong("manifest.unseenLabels.test.rows"),
                "the test-only code is counted, not dropped silently");
        assertEquals(1, done.getLong("manifest.unseenLabels.test.labels.V9999"));
        assertFalse(
                done.getList("manifest.labelNames", String.class).contains("V9999"),
                "labels come from the training file");

        // The splits form is for classification, needs all three keys, and takes no fractions.
        String base =
                "{\"model\":\"" + model + "\",\"kind\":\"classification\",\"format\":\"core\",\"splits\":{\"train\":\""
                        + keys.get("train") + "\"";
        given().contentType("application/json")
                .body(base + "}}")
                .post("/v1/datasets")
                .then()
                .statusCode(400)
                .body("detail", containsString("train, validation and test"));
        given().contentType("application/json")
                .body(base + ",\"validation\":\"a\",\"test\":\"b\"},\"testFraction\":0.2}")
                .post("/v1/datasets")
                .then()
                .statusCode(400)
                .body("detail", containsString("do not apply"));
        given().contentType("application/json")
                .body(base + ",\"validation\":\"" + keys.get("val") + "\",\"test\":\"raw/none.csv\"}}")
                .post("/v1/datasets")
                .then()
                .statusCode(404)
                .body("detail", containsString("raw/none.csv"));
        given().contentType("application/json")
                .body(base.replace("\"core\"", "\"mimic\"") + ",\"validation\":\"a\",\"test\":\"b\"}}")
                .post("/v1/datasets")
                .then()
                .statusCode(400)
                .body("detail", containsString("format"));
    }

    @Test
    void datasetRowsAreDjlsHuggingFaceTokenizerOutputForTheModelsTokenizerJson() throws Exception {
        String note =
                "Chief Complaint:  ___ with SOB.\n\nHistory of Present Illness:\nCr 2.1, Temp 38.5°C; café au lait spots.";
        String id = "djl-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType("text/csv")
                .body(("id,text,label\nr1,\"" + note + "\",1\n").getBytes(StandardCharsets.UTF_8))
                .post("/v1/datasets?model=" + model
                        + "&kind=classification&seqLen=64&validationFraction=0&testFraction=0&datasetId=" + id)
                .then()
                .statusCode(202);
        JsonPath done = awaitFinished(id);
        assertEquals("ready", done.getString("status"), done.prettify());
        Path shard = Files.createTempFile("shard", ".safetensors");
        Files.write(
                shard,
                store.getBytes(StoreLayout.dataset(id) + "shard-00000.safetensors")
                        .orElseThrow());
        Path tokenizerJson = Files.createTempFile("tokenizer", ".json");
        Files.write(
                tokenizerJson,
                store.getBytes(StoreLayout.model(model) + "tokenizer.json").orElseThrow());
        try (SafeTensorsReader r = SafeTensors.open(shard);
                HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder()
                        .optTokenizerPath(tokenizerJson)
                        .optAddSpecialTokens(false)
                        .build()) {
            long[] want = hf.encode(NoteNormalizer.DEFAULT.normalize(note)).getIds();
            ByteBuffer ids = r.raw("input_ids").order(ByteOrder.LITTLE_ENDIAN);
            int length = r.raw("lengths").order(ByteOrder.LITTLE_ENDIAN).getInt(0);
            assertEquals(want.length + 1, length, "<s> + the note's tokens");
            assertEquals(1, ids.getInt(0), "<s>");
            for (int i = 0; i < want.length; i++) assertEquals(want[i], ids.getInt(4 * (i + 1)), "token " + i);
            for (int i = length; i < 64; i++)
                assertEquals(done.getInt("manifest.padId"), ids.getInt(4 * i), "right padding");
        }
    }

    @Test
    void notesRawRecordsBecomeAStreamingDatasetWithoutDuplicatesAndPoisonGoesToTheDeadLetterTopic() throws Exception {
        String stream = "ward-" + UUID.randomUUID().toString().substring(0, 8);
        List<TaskExample> examples = new ArrayList<>();
        NoteFiles.readTaskFile(corpus.resolve("synthetic_mor.csv"), CsvReader.OnMalformed.FAIL, examples::add);
        examples = examples.subList(0, 30);
        String poisonMarker = "POISON-" + UUID.randomUUID();
        try (KafkaProducer<String, String> producer = KafkaTestClients.producer();
                KafkaConsumer<String, String> dlq = KafkaTestClients.consumer(TestTopics.of("notes.raw.dlq"))) {
            for (int round = 0; round < 2; round++) { // every note twice: a redelivery must not add a row
                for (TaskExample e : examples) {
                    producer.send(new ProducerRecord<>(
                            TestTopics.of("notes.raw"),
                            stream,
                            Events.toJson(ClinicalNote.of(stream, e.id(), e.subjectId(), e.text(), e.labels()))));
                }
                if (round == 0)
                    producer.send(new ProducerRecord<>(
                            TestTopics.of("notes.raw"),
                            stream,
                            "{\"type\":\"ClinicalNote\",\"stream\":\"" + stream + "\",\"text\":\"" + poisonMarker
                                    + "\"}"));
            }
            // Then a note for another stream under the same key, so on the same partition after all of the above: once
            // it is stored, every redelivery before it has been processed.
            String after = stream + "-after";
            producer.send(new ProducerRecord<>(
                    TestTopics.of("notes.raw"),
                    stream,
                    Events.toJson(ClinicalNote.of(after, "last", "p0", "sent after the redeliveries", List.of("0")))));
            producer.flush();
            boolean poisoned = false;
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!poisoned && System.nanoTime() < end) {
                for (ConsumerRecord<String, String> r : dlq.poll(Duration.ofMillis(200))) {
                    if (r.value().contains(poisonMarker)) {
                        poisoned = true;
                        String reason = new String(
                                r.headers().lastHeader("dead-letter-reason").value());
                        assertTrue(reason.contains("noteId is required"), reason);
                        assertFalse(reason.contains(poisonMarker), "the reason never quotes the note");
                    }
                }
            }
            assertTrue(poisoned, "the poison record reached notes.raw.dlq");
        }
        String last = StoreLayout.noteStream(stream + "-after");
        for (int i = 0; i < 300 && store.list(last).isEmpty(); i++) Thread.sleep(100);
        assertEquals(1, store.list(last).size(), "the note sent after the redeliveries was stored");
        assertEquals(
                examples.size(),
                store.list(StoreLayout.noteStream(stream)).size(),
                "the redeliveries added nothing: one stored note per note id");

        String id = given().contentType("application/json")
                .body("{\"model\":\"" + model + "\",\"kind\":\"classification\",\"stream\":\"" + stream
                        + "\",\"seqLen\":48,\"labels\":[\"0\",\"1\"]}")
                .post("/v1/datasets")
                .then()
                .statusCode(202)
                .extract()
                .jsonPath()
                .getString("datasetId");
        JsonPath done = awaitFinished(id);
        assertEquals("ready", done.getString("status"), done.prettify());
        assertEquals(examples.size(), verifyShards(id), "one row per distinct note");
        assertEquals(List.of("0", "1"), done.getList("manifest.labelNames", String.class));
        assertEquals(stream, done.getString("manifest.stream"));
    }

    @Test
    void anInterruptedBuildIsRebuiltCleanlyOnRestartWithoutDuplicates() throws Exception {
        String key = "raw/" + UUID.randomUUID() + "/mor.csv";
        store.put(key, corpus.resolve("synthetic_mor.csv"), Map.of());
        String spec = "\"model\":\"" + model + "\",\"kind\":\"classification\",\"sources\":[\"" + key
                + "\"],\"seqLen\":40,\"rowsPerShard\":8";
        String clean = "clean-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType("application/json")
                .body("{\"datasetId\":\"" + clean + "\"," + spec + "}")
                .post("/v1/datasets")
                .then()
                .statusCode(202);
        JsonPath reference = awaitFinished(clean);
        assertEquals("ready", reference.getString("status"));

        // What a process killed mid-build leaves: the job recorded as building, some shards, no manifest.
        String id = "crashed-" + UUID.randomUUID().toString().substring(0, 8);
        JsonNode job =
                JSON.readTree(store.getBytes(StoreLayout.datasetJob(clean)).orElseThrow());
        ((ObjectNode) job).put("datasetId", id).put("status", "building").remove(List.of("counts", "manifestSha256"));
        ((ObjectNode) job.get("spec")).put("datasetId", id);
        store.put(StoreLayout.datasetJob(id), JSON.writeValueAsBytes(job), Map.of());
        String prefix = StoreLayout.dataset(id);
        store.put(prefix + "shard-00000.safetensors", "half a shard".getBytes(), Map.of());
        store.put(prefix + "shard-00009.safetensors", "a shard this build will not write again".getBytes(), Map.of());

        assertTrue(builds.recover() >= 1, "the interrupted build is found (as at startup)");
        JsonPath done = awaitFinished(id);
        assertEquals("ready", done.getString("status"), done.prettify());
        long rows = verifyShards(id);
        assertEquals(
                reference.getLong("counts.train.rows")
                        + reference.getLong("counts.validation.rows")
                        + reference.getLong("counts.test.rows"),
                rows);
        for (String split : List.of("train", "validation", "test")) {
            assertEquals(
                    reference.getLong("counts." + split + ".rows"), done.getLong("counts." + split + ".rows"), split);
        }
        assertEquals(0, builds.recover(), "nothing left to resume");
    }

    @Test
    void badBuildRequestsAreClear4xxAndBadDataFailsTheBuildWithAReason() throws Exception {
        String ok = "\"model\":\"" + model + "\",\"kind\":\"causal_lm\",\"sources\":[\"raw/none.csv\"]";
        given().contentType("application/json")
                .body("{" + ok + "}")
                .post("/v1/datasets")
                .then()
                .statusCode(404)
                .body("detail", containsString("raw/none.csv"));
        given().contentType("application/json")
                .body("{" + ok.replace(model, "no-such-model") + "}")
                .post("/v1/datasets")
                .then()
                .statusCode(404)
                .body("detail", containsString("unknown model"));
        given().contentType("application/json")
                .body("{" + ok.replace("causal_lm", "regression") + "}")
                .post("/v1/datasets")
                .then()
                .statusCode(400)
                .body("detail", containsString("kind"));
        given().contentType("application/json")
                .body("{" + ok.replace("raw/none.csv", "../etc/passwd") + "}")
                .post("/v1/datasets")
                .then()
                .statusCode(400)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("reason", equalTo("invalid_request"));
        given().contentType("application/json")
                .body("{" + ok.replace("causal_lm", "classification") + ",\"format\":\"mimic-notes\"}")
                .post("/v1/datasets")
                .then()
                .statusCode(400)
                .body("detail", containsString("task file"));
        given().contentType("application/json")
                .body("{" + ok + ",\"stream\":\"s\"}")
                .post("/v1/datasets")
                .then()
                .statusCode(400);
        given().contentType("application/json")
                .body("{\"model\":\"" + model + "\",\"kind\":\"causal_lm\",\"stream\":\"never-fed\"}")
                .post("/v1/datasets")
                .then()
                .statusCode(404)
                .body("detail", containsString("no notes"));
        given().contentType("application/json")
                .body("{" + ok + ",\"seqLen\":-3}")
                .post("/v1/datasets")
                .then()
                .statusCode(400);
        given().get("/v1/datasets/nope-" + UUID.randomUUID()).then().statusCode(404);
        given().get("/v1/datasets/..%2Fetc").then().statusCode(400);

        // A label outside the vocabulary the request named: the build fails, says which row, keeps nothing.
        String marker = "PHI-MARKER-" + UUID.randomUUID();
        String id = "badlabel-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType("text/csv")
                .body("id,subject_id,text,label\nr1,p1,\"" + marker + " one\",0\nr2,p2,\"" + marker + " two\",7\n")
                .post("/v1/datasets?model=" + model + "&kind=classification&labels=0,1&datasetId=" + id)
                .then()
                .statusCode(202);
        JsonPath failed = awaitFinished(id);
        assertEquals("failed", failed.getString("status"));
        assertTrue(failed.getString("reason").contains("unknown label '7'"), failed.getString("reason"));
        assertFalse(failed.prettify().contains(marker));
        assertTrue(store.list(StoreLayout.dataset(id)).isEmpty(), "a failed build leaves no shards");

        String bad = "badcsv-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType("text/csv")
                .body("id,text,label\nr1,\"unterminated " + marker + ",0\n")
                .post("/v1/datasets?model=" + model + "&kind=classification&datasetId=" + bad)
                .then()
                .statusCode(202);
        JsonPath malformed = awaitFinished(bad);
        assertEquals("failed", malformed.getString("status"));
        assertTrue(malformed.getString("reason").contains("line"), malformed.getString("reason"));
        assertFalse(malformed.prettify().contains(marker));
        given().contentType("text/csv")
                .body(new byte[0])
                .post("/v1/datasets?model=" + model + "&kind=causal_lm")
                .then()
                .statusCode(400)
                .body(not(containsString("Exception")));
    }
}
