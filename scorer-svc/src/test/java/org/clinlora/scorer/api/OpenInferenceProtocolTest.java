package org.clinlora.scorer.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.clinlora.model.bert.TinyBert;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.task.ProblemType;
import org.clinlora.platform.api.Problem;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestAdapters;
import org.clinlora.testing.TestAuth;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every endpoint of the Open Inference Protocol's REST API (KServe V2) with the request and response objects of its
 * specification (specification/protocol/inference_rest.md of kserve/open-inference-protocol): member names and JSON
 * types, tensor shapes and datatypes, the statuses; against the real local Kafka, S3Proxy and a running registry-svc,
 * with a task adapter published in two versions.
 */
@QuarkusTest
@QuarkusTestResource(
        value = LocalServices.class,
        initArgs = @ResourceArg(name = "services", value = "registry,tokenizer,trainer"))
class OpenInferenceProtocolTest {
    static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    static final String MODEL = "oip-" + RUN;
    static final List<String> LABELS = List.of("0", "1", "2", "3");
    static final List<String> NOTES = List.of(
            "Chief Complaint: chest pain.\nHistory of Present Illness: ___ year old man, admitted to cardiology.",
            "Pt with fever, blood cultures drawn and broad spectrum antibiotics started.");
    /** The base model of the scorer tests of this JVM: the in-process scorer binds to the first adapter's base. */
    static final String BASE_MODEL = "scorer-test-tiny";

    static boolean prepared;

    @ConfigProperty(name = "clinlora.registry.url")
    String registryUrl;

    @BeforeEach
    void prepare() throws IOException {
        if (prepared) return;
        ObjectStore store = new ObjectStore(LocalInfra.s3Settings());
        Path dir = Files.createTempDirectory("oip-test");
        LlamaConfig base = TinyLlama.write(
                dir.resolve("m"),
                new TinyLlama.Spec(2000, 64, 2, 4, 2, TinyLlama.Spec.defaultIntermediate(64), 512, false, 8));
        new ModelStore(store).upload(BASE_MODEL, dir.resolve("m"));
        RegistryClient registry = new RegistryClient(registryUrl, TestAuth::allRoles);
        LoraConfig lora =
                new LoraConfig("SEQ_CLS", 4, 8, 0.1, List.of("q_proj", "v_proj"), List.of("score"), false, null);
        for (int v = 1; v <= 2; v++) {
            Path adapter = TestAdapters.write(dir.resolve("a" + v), lora, base, LABELS.size(), 40 + v);
            String prefix = "oip-staging/" + RUN + "/" + v + "/";
            try (var files = Files.list(adapter)) {
                for (Path f : files.toList()) store.put(prefix + f.getFileName(), f, Map.of());
            }
            registry.publishFromStore(
                    MODEL,
                    prefix,
                    PublishRequest.of(MODEL, BASE_MODEL).withLabels(LABELS, ProblemType.SINGLE_LABEL, null));
        }
        registry.moveAlias(MODEL, "production", 1, null);
        prepared = true;
    }

    /** An {@code $inference_request} with the one input and, when given, the requested outputs. */
    static Map<String, Object> request(List<Long> shape, List<?> data, List<String> outputs) {
        Map<String, Object> input = new HashMap<>(Map.of("name", "note", "shape", shape, "datatype", "BYTES"));
        input.put("data", data);
        input.put("parameters", Map.of("content_type", "str"));
        Map<String, Object> req = new HashMap<>(Map.of("inputs", List.of(input)));
        req.put("id", "req-" + RUN);
        req.put("parameters", Map.of("priority", 1, "explain", false, "client", "oip-test"));
        if (outputs != null)
            req.put("outputs", outputs.stream().map(o -> Map.of("name", o)).toList());
        return req;
    }

    static JsonPath infer(String path, Object body) {
        return given().contentType("application/json")
                .body(body)
                .post(path)
                .then()
                .statusCode(200)
                .contentType("application/json")
                .extract()
                .jsonPath();
    }

    /**
     * The protocol's error object: the status and an {@code error} member holding a descriptive message (in the
     * platform's problem body, whose detail it repeats), which never quotes the notes.
     */
    static void assertError(Response r, int status, String says) {
        r.then().statusCode(status).contentType(containsString(Problem.MEDIA_TYPE));
        Object error = r.jsonPath().get("error");
        assertInstanceOf(String.class, error, "the error member is a string: " + r.asString());
        assertTrue(((String) error).contains(says), "error '" + error + "' says " + says);
        for (String note : NOTES) assertFalse(r.asString().contains(note), "no note in an error: " + r.asString());
    }

    static void assertTensorMetadata(JsonPath j, String at, String name, String datatype, List<Integer> shape) {
        assertEquals(name, j.getString(at + ".name"));
        assertEquals(datatype, j.getString(at + ".datatype"));
        assertEquals(shape, j.getList(at + ".shape"));
    }

    @Test
    void serverMetadataLiveAndReadyAreTheProtocolsObjectsWithoutAToken() {
        for (String path : List.of("/v2", "/v2/")) {
            JsonPath server = given().header("Authorization", "")
                    .get(path)
                    .then()
                    .statusCode(200)
                    .extract()
                    .jsonPath();
            assertEquals("clinlora-scorer", server.getString("name"));
            assertInstanceOf(String.class, server.get("version"));
            assertInstanceOf(List.class, server.get("extensions"));
        }
        JsonPath live = given().header("Authorization", "")
                .get("/v2/health/live")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertEquals(true, live.get("live"));
        JsonPath ready = given().header("Authorization", "")
                .get("/v2/health/ready")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertEquals(true, ready.get("ready"));
    }

    @Test
    void modelReadyAndMetadataWithAndWithoutAVersion() {
        for (String path : List.of(
                "/v2/models/" + MODEL + "/ready",
                "/v2/models/" + MODEL + "/versions/1/ready",
                "/v2/models/" + MODEL + "/versions/2/ready")) {
            JsonPath ready = given().get(path).then().statusCode(200).extract().jsonPath();
            assertEquals(MODEL, ready.getString("name"), path);
            assertEquals(true, ready.get("ready"), path);
        }
        for (String version : List.of("", "1", "2")) {
            String path = "/v2/models/" + MODEL + (version.isEmpty() ? "" : "/versions/" + version);
            JsonPath m = given().get(path).then().statusCode(200).extract().jsonPath();
            assertEquals(MODEL, m.getString("name"));
            // Without a version: the production alias's version, the one that can be asked for explicitly.
            assertEquals(List.of(version.isEmpty() ? "1" : version), m.getList("versions"), path);
            assertEquals("clinlora_llama-lora", m.getString("platform"), "the base model's architecture");
            assertEquals(1, m.getList("inputs").size());
            assertTensorMetadata(m, "inputs[0]", "note", "BYTES", List.of(-1));
            assertEquals(2, m.getList("outputs").size());
            assertTensorMetadata(m, "outputs[0]", "probabilities", "FP32", List.of(-1, LABELS.size()));
            assertTensorMetadata(m, "outputs[1]", "labels", "BYTES", List.of(LABELS.size()));
        }
    }

    @Test
    void notesAsNOrNBy1FlatOrNestedScoreTheSameAndTheIdIsEchoed() {
        List<Long> n = List.of((long) NOTES.size()), nBy1 = List.of((long) NOTES.size(), 1L);
        List<List<String>> nested = NOTES.stream().map(List::of).toList();
        String path = "/v2/models/" + MODEL + "/versions/2/infer";
        JsonPath flat = infer(path, request(n, NOTES, null));
        assertEquals(MODEL, flat.getString("model_name"));
        assertEquals("2", flat.get("model_version"));
        assertEquals("req-" + RUN, flat.getString("id"));
        assertEquals(List.of("probabilities", "labels"), flat.getList("outputs.name"));
        assertEquals("FP32", flat.getString("outputs[0].datatype"));
        assertEquals(List.of(NOTES.size(), LABELS.size()), flat.getList("outputs[0].shape"));
        List<Float> p = flat.getList("outputs[0].data", Float.class);
        assertEquals(NOTES.size() * LABELS.size(), p.size(), "row-major, flat");
        for (int i = 0; i < NOTES.size(); i++) {
            double sum = 0;
            for (int j = 0; j < LABELS.size(); j++) sum += p.get(i * LABELS.size() + j);
            assertEquals(1.0, sum, 1e-5, "softmax over note " + i + "'s labels");
        }
        assertEquals("BYTES", flat.getString("outputs[1].datatype"));
        assertEquals(List.of(LABELS.size()), flat.getList("outputs[1].shape"));
        assertEquals(LABELS, flat.getList("outputs[1].data"));

        for (Object data : List.of(NOTES, nested)) {
            JsonPath column = infer(path, request(nBy1, (List<?>) data, null));
            assertEquals(p, column.getList("outputs[0].data", Float.class), "[N, 1] scores as [N]: " + data);
        }
        // Without a version: the production alias (version 1). Without an id: none in the response.
        Map<String, Object> anonymous = request(n, NOTES, null);
        anonymous.remove("id");
        JsonPath production = infer("/v2/models/" + MODEL + "/infer", anonymous);
        assertEquals("1", production.get("model_version"));
        assertNull(production.get("id"));
    }

    @Test
    void onlyTheRequestedOutputsAreReturned() {
        List<Long> n = List.of((long) NOTES.size());
        String path = "/v2/models/" + MODEL + "/infer";
        JsonPath labels = infer(path, request(n, NOTES, List.of("labels")));
        assertEquals(List.of("labels"), labels.getList("outputs.name"));
        assertEquals(LABELS, labels.getList("outputs[0].data"));
        JsonPath probabilities = infer(path, request(n, NOTES, List.of("probabilities")));
        assertEquals(List.of("probabilities"), probabilities.getList("outputs.name"));
        assertEquals(List.of(NOTES.size(), LABELS.size()), probabilities.getList("outputs[0].shape"));
        JsonPath both = infer(path, request(n, NOTES, List.of("labels", "probabilities")));
        assertEquals(List.of("labels", "probabilities"), both.getList("outputs.name"), "in the order asked for");
        assertError(
                given().contentType("application/json")
                        .body(request(n, NOTES, List.of("probabilities", "logits")))
                        .post(path),
                400,
                "unknown output");
    }

    @Test
    void unknownModelsAndVersionsAre404AndBadRequests400WithTheProtocolsErrorMember() {
        List<Long> n = List.of((long) NOTES.size());
        Map<String, Object> ok = request(n, NOTES, null);
        String nope = "nope-" + RUN;
        for (String path : List.of(
                "/v2/models/" + nope,
                "/v2/models/" + nope + "/ready",
                "/v2/models/" + MODEL + "/versions/99",
                "/v2/models/" + MODEL + "/versions/99/ready",
                "/v2/models/" + MODEL + "/versions/v1/ready",
                "/v2/models/Not_A_Model/ready")) {
            assertError(given().get(path), 404, "");
        }
        assertError(given().contentType("application/json").body(ok).post("/v2/models/" + nope + "/infer"), 404, nope);
        assertError(
                given().contentType("application/json").body(ok).post("/v2/models/" + MODEL + "/versions/99/infer"),
                404,
                MODEL);

        String infer = "/v2/models/" + MODEL + "/infer";
        List<Map<String, Object>> bad = new ArrayList<>();
        List<String> says = new ArrayList<>();
        Map<String, Object> fp32 = request(n, NOTES, null);
        input(fp32).put("datatype", "FP32");
        bad.add(fp32);
        says.add("datatype BYTES");
        Map<String, Object> unknownType = request(n, NOTES, null);
        input(unknownType).put("datatype", "STRING");
        bad.add(unknownType);
        says.add("unknown datatype");
        bad.add(request(List.of(3L), NOTES, null));
        says.add("shape [N] or [N, 1]");
        bad.add(request(List.of((long) NOTES.size(), 2L), NOTES, null));
        says.add("shape [N] or [N, 1]");
        Map<String, Object> renamed = request(n, NOTES, null);
        input(renamed).put("name", "text");
        bad.add(renamed);
        says.add("named 'note'");
        Map<String, Object> nestedParameter = request(n, NOTES, null);
        nestedParameter.put("parameters", Map.of("x", Map.of("y", 1)));
        bad.add(nestedParameter);
        says.add("strings, numbers or booleans");
        Map<String, Object> noInputs = request(n, NOTES, null);
        noInputs.remove("inputs");
        bad.add(noInputs);
        says.add("exactly one input");
        for (int i = 0; i < bad.size(); i++)
            assertError(given().contentType("application/json").body(bad.get(i)).post(infer), 400, says.get(i));
        assertError(
                given().contentType("application/json")
                        .body(request(List.of(65L), Collections.nCopies(65, "note"), null))
                        .post(infer),
                413,
                "at most 64 notes");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> input(Map<String, Object> request) {
        Map<String, Object> in = new HashMap<>(((List<Map<String, Object>>) request.get("inputs")).get(0));
        request.put("inputs", List.of(in));
        return in;
    }

    @Test
    void thePlatformNamesTheBaseModelsArchitecture() throws IOException {
        Path dir = Files.createTempDirectory("oip-bert");
        var bert = TinyBert.write(dir, new TinyBert.Spec(100, 16, 1, 2, 32, 64, 1));
        assertEquals("clinlora_bert-lora", InferenceV2Resource.platform(bert));
    }
}
