package org.clinlora.registry;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.clinlora.model.base.Compute;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.testing.LocalInfraResource;
import org.junit.jupiter.api.Test;

/**
 * Base models pushed through {@code /v1/models}, against the real S3Proxy: file by file, resumable, each file checked
 * against its declared sha256 (a tampered shard is refused), the whole checked as a loadable LLaMA, and invisible until
 * complete; what is stored then loads in the model library.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class ModelsApiTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** The raw bucket, to look at what the service left behind its back. */
    @Inject
    ObjectStore bucket;

    @Inject
    ModelStore models;

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A tiny fp16 LLaMA sharded as save_pretrained does (index + three shards). */
    static Path shardedModel() throws Exception {
        Path dir = Files.createTempDirectory("model-push").resolve("m");
        TinyLlama.write(dir, new TinyLlama.Spec(600, 32, 2, 4, 2, 96, 256, false, 5), SafeTensors.Dtype.F16, 30_000);
        assertTrue(Files.exists(dir.resolve("model.safetensors.index.json")), "sharded");
        return dir;
    }

    static String declaration(Path dir) throws Exception {
        ObjectNode n = JSON.createObjectNode();
        ObjectNode files = n.putObject("files");
        try (var s = Files.list(dir)) {
            for (Path p : s.sorted().toList())
                files.putObject(p.getFileName().toString())
                        .put("sha256", Sha256.of(p))
                        .put("size", Files.size(p));
        }
        return JSON.writeValueAsString(n);
    }

    static ValidatableResponse put(String id, String file, byte[] body) {
        return given().contentType("application/octet-stream")
                .body(body)
                .put("/v1/models/" + id + "/upload/files/" + file)
                .then();
    }

    @Test
    void aShardedPushResumesRefusesATamperedShardAndIsInvisibleUntilComplete() throws Exception {
        Path dir = shardedModel();
        String id = unique("llama");
        String decl = declaration(dir);
        List<String> files;
        try (var s = Files.list(dir)) {
            files = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        given().contentType("application/json")
                .body(decl)
                .post("/v1/models/" + id + "/upload")
                .then()
                .statusCode(200)
                .body("status", equalTo("uploading"))
                .body("missing", hasSize(files.size()));
        String shard = files.stream()
                .filter(f -> f.startsWith("model-00002"))
                .findFirst()
                .orElseThrow();
        byte[] tampered = Files.readAllBytes(dir.resolve(shard));
        tampered[tampered.length - 1] ^= 1;
        put(id, shard, tampered)
                .statusCode(422)
                .body("reason", equalTo("file_mismatch"))
                .body("detail", containsString("sha256"));
        // half the files, then an interruption: nothing is visible yet
        for (String f : files.subList(0, files.size() / 2))
            put(id, f, Files.readAllBytes(dir.resolve(f))).statusCode(200);
        given().get("/v1/models/" + id).then().statusCode(404);
        given().get("/v1/models").then().statusCode(200).body("$", not(hasItem(id)));
        given().post("/v1/models/" + id + "/upload/complete")
                .then()
                .statusCode(409)
                .body("detail", containsString("lacks"));
        // the same push again resumes: only what was not received is asked for
        List<String> missing = given().contentType("application/json")
                .body(decl)
                .post("/v1/models/" + id + "/upload")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("missing", String.class);
        assertEquals(
                files.subList(files.size() / 2, files.size()).stream().sorted().toList(),
                missing.stream().sorted().toList());
        for (String f : missing) put(id, f, Files.readAllBytes(dir.resolve(f))).statusCode(200);
        given().post("/v1/models/" + id + "/upload/complete")
                .then()
                .statusCode(201)
                .body("status", equalTo("stored"));

        given().get("/v1/models").then().statusCode(200).body("$", hasItem(id));
        given().get("/v1/models/" + id)
                .then()
                .statusCode(200)
                .body("files.'" + shard + "'.sha256", equalTo(Sha256.of(dir.resolve(shard))))
                .body("config.hidden_size", equalTo(32));
        // what trainer and scorer do: fetch (every file verified) and load
        Path fetched = models.fetchModelDir(id, Files.createTempDirectory("cache"));
        try (LlamaModel m = LlamaModel.load(fetched, Compute.CPU_FP32)) {
            assertEquals(2, m.config().numHiddenLayers());
        }
        // pushing the same files again is a no-op; other files under the same id are a conflict
        given().contentType("application/json")
                .body(decl)
                .post("/v1/models/" + id + "/upload")
                .then()
                .statusCode(200)
                .body("status", equalTo("stored"));
        given().contentType("application/json")
                .body(decl.replaceFirst("\"size\":\\d+", "\"size\":1"))
                .post("/v1/models/" + id + "/upload")
                .then()
                .statusCode(409);
    }

    @Test
    void weightsThatDoNotFitTheConfigArePickleOrIncompleteAreRefusedWithAReason() throws Exception {
        Path dir = shardedModel();
        // config.json claims a wider model than the shards hold
        Files.writeString(
                dir.resolve("config.json"),
                Files.readString(dir.resolve("config.json")).replace("\"hidden_size\" : 32", "\"hidden_size\" : 48"));
        String id = unique("bad");
        given().contentType("application/json")
                .body(declaration(dir))
                .post("/v1/models/" + id + "/upload")
                .then()
                .statusCode(200);
        try (var s = Files.list(dir)) {
            for (Path p : s.toList())
                put(id, p.getFileName().toString(), Files.readAllBytes(p)).statusCode(200);
        }
        given().post("/v1/models/" + id + "/upload/complete")
                .then()
                .statusCode(422)
                .body("reason", equalTo("invalid_weights"))
                .body("detail", containsString("config.json implies"));
        given().get("/v1/models/" + id).then().statusCode(404);
        given().delete("/v1/models/" + id + "/upload").then().statusCode(204);
        assertTrue(bucket.list("models/" + id + "/").isEmpty(), "an aborted push leaves nothing");

        given().contentType("application/json")
                .body("{\"files\":{\"config.json\":{\"sha256\":\"" + "a".repeat(64) + "\",\"size\":1},"
                        + "\"tokenizer.json\":{\"sha256\":\"" + "b".repeat(64)
                        + "\",\"size\":1},\"pytorch_model.bin\":{\"sha256\":\"" + "c".repeat(64) + "\",\"size\":1}}}")
                .post("/v1/models/" + unique("pickle") + "/upload")
                .then()
                .statusCode(422)
                .body("reason", equalTo("pickle_weights"));
        given().contentType("application/json")
                .body("{\"files\":{\"config.json\":{\"sha256\":\"" + "a".repeat(64) + "\",\"size\":1}}}")
                .post("/v1/models/" + unique("partial") + "/upload")
                .then()
                .statusCode(422)
                .body("reason", equalTo("not_a_model"));
        given().contentType("application/json")
                .body("{\"files\":{\"../x\":{\"sha256\":\"" + "a".repeat(64) + "\",\"size\":1}}}")
                .post("/v1/models/" + unique("unsafe") + "/upload")
                .then()
                .statusCode(400);
    }
}
