package org.clinlora.tokenizer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.platform.api.Problem;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalInfraResource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** POST /v1/tokenize with a base model's tokenizer.json from the real local S3Proxy. */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class TokenizeApiTest {
    static String model;
    static Path dir;

    @BeforeEach
    void uploadModel() throws Exception {
        if (model != null) return;
        dir = Files.createTempDirectory("tokenize-test");
        TinyLlama.write(dir.resolve("m"), new TinyLlama.Spec(900, 32, 1, 4, 2, 96, 512, false, 8));
        model = "tiny-" + UUID.randomUUID().toString().substring(0, 8);
        new ModelStore(new ObjectStore(LocalInfra.s3Settings())).upload(model, dir.resolve("m"));
    }

    static String body(String texts, String extra) {
        return "{\"model\":\"" + model + "\",\"texts\":" + texts + extra + "}";
    }

    @Test
    void idsAreTheModelsOwnTokenizerOutputWithLengthsAndTruncation() throws Exception {
        List<String> notes =
                List.of("Chief Complaint: chest pain. Pt denies fever; SpO2 91% on RA.", "No acute distress.");
        JsonPath r = given().contentType("application/json")
                .body(body("[\"" + notes.get(0) + "\",\"" + notes.get(1) + "\"]", ",\"maxLength\":8"))
                .post("/v1/tokenize")
                .then()
                .statusCode(200)
                .body("tokenizerSha256", equalTo(Sha256.of(dir.resolve("m/tokenizer.json"))))
                .extract()
                .jsonPath();
        try (ClinicalTokenizer tok = ClinicalTokenizer.load(dir.resolve("m"))) {
            for (int i = 0; i < notes.size(); i++) {
                long[] want = tok.encode(notes.get(i), true);
                long[] got = r.getList("results[" + i + "].ids", Long.class).stream()
                        .mapToLong(Long::longValue)
                        .toArray();
                int n = Math.min(8, want.length);
                assertArrayEquals(Arrays.copyOf(want, n), got, "note " + i);
                assertEquals(n, r.getInt("results[" + i + "].length"));
                assertEquals(want.length > 8, r.getBoolean("results[" + i + "].truncated"));
            }
        }
    }

    @Test
    void badRequestsAreClear4xxInTheStandardShapeWithoutEchoingNotes() {
        String secret = "PATIENT-MARKER-" + UUID.randomUUID();
        given().contentType("application/json")
                .body(body("[\"" + secret + "\"]", "").replace(model, "no-such-model"))
                .post("/v1/tokenize")
                .then()
                .statusCode(404)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("reason", equalTo("not_found"))
                .body("detail", containsString("unknown model"))
                .body(not(containsString(secret)));
        given().contentType("application/json")
                .body(body("[]", ""))
                .post("/v1/tokenize")
                .then()
                .statusCode(400)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("reason", equalTo("invalid_request"));
        given().contentType("application/json")
                .body(body("[\"ok\",\"  \"]", ""))
                .post("/v1/tokenize")
                .then()
                .statusCode(400)
                .body("detail", equalTo("texts[1] is empty"));
        given().contentType("application/json")
                .body(body("[\"" + secret + "\"]", ",\"maxLength\":0"))
                .post("/v1/tokenize")
                .then()
                .statusCode(400)
                .body(not(containsString(secret)));
        given().contentType("application/json")
                .body(body("[" + "\"x\",".repeat(300) + "\"x\"]", ""))
                .post("/v1/tokenize")
                .then()
                .statusCode(413)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("reason", equalTo("payload_too_large"));
        given().contentType("application/json")
                .body(body("[\"a\"]", "").replace(model, "../etc"))
                .post("/v1/tokenize")
                .then()
                .statusCode(400)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("reason", equalTo("invalid_request"));
        given().contentType("application/json")
                .body("{\"model\": [1, 2], \"texts\": 5}")
                .post("/v1/tokenize")
                .then()
                .statusCode(400)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("reason", equalTo("invalid_request"));
        given().contentType("application/json")
                .body("{not json")
                .post("/v1/tokenize")
                .then()
                .statusCode(400)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("reason", equalTo("invalid_request"));
        byte[] badUtf8 = ("{\"model\":\"" + model + "\",\"texts\":[\"a\u0000\"]}").getBytes(StandardCharsets.UTF_8);
        badUtf8[badUtf8.length - 5] = (byte) 0xC3;
        given().contentType("application/json")
                .body(badUtf8)
                .post("/v1/tokenize")
                .then()
                .statusCode(400);
    }
}
