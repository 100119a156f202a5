package org.clinlora.scorer.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.clinlora.platform.api.Problem;
import org.clinlora.platform.auth.Roles;
import org.clinlora.testing.TestAuth;
import org.junit.jupiter.api.Test;

/**
 * The nastiest V2 request bodies the fuzzer (InferRequestFuzzTest) made, sent through the running scorer: each is a 4xx
 * problem+json that quotes no note, never a 500. The first two were 500s before: an output without a name, and a body
 * whose leading zero bytes make Jackson read it as UTF-32.
 */
@QuarkusTest
class HostileInferRequestTest {
    private static final String NOTE = "Pt name Jane Roe, chest pain";
    private static final String INPUT =
            "{\"name\":\"note\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"" + NOTE + "\"]}";

    @Test
    void anOutputWithoutANameIsA400() {
        refused("{\"inputs\":[" + INPUT + "],\"outputs\":[{}]}");
    }

    @Test
    void aBodyThatReadsAsUtf32IsA400() {
        byte[] json = ("{\"inputs\":[" + INPUT + "]}").getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[8 + json.length];
        System.arraycopy(json, 0, body, 8, json.length);
        refused(body);
    }

    @Test
    void malformedOrMisshapenBodiesAre400s() {
        for (String body : new String[] {
            "{\"inputs\":[" + INPUT,
            "[]",
            "{\"inputs\":[{\"name\":\"note\",\"shape\":[1e400],\"datatype\":\"BYTES\",\"data\":[\"" + NOTE + "\"]}]}",
            "{\"inputs\":[{\"name\":\"note\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"\\ud800" + NOTE
                    + "\"]}]}",
            "{\"inputs\":[{\"name\":\"note\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":" + "[".repeat(1200)
                    + "]".repeat(1200) + "}]}",
            "{\"inputs\":[null],\"outputs\":[null]}",
            "{\"inputs\":[" + INPUT + "],\"parameters\":{\"" + NOTE + "\":[\"" + NOTE + "\"]}}",
        }) {
            refused(body);
        }
    }

    private static void refused(String body) {
        refused(body.getBytes(StandardCharsets.UTF_8));
    }

    private static void refused(byte[] body) {
        Response r = given().header("Authorization", "Bearer " + TestAuth.token(Roles.SCORER_CLIENT))
                .contentType("application/json")
                .body(body)
                .post("/v2/models/no-such-task/infer");
        String shown = new String(Arrays.copyOf(body, Math.min(body.length, 80)), StandardCharsets.UTF_8);
        assertTrue(r.statusCode() >= 400 && r.statusCode() < 500, r.statusCode() + " for " + shown);
        assertTrue(r.contentType().startsWith(Problem.MEDIA_TYPE), r.contentType());
        assertFalse(r.asString().contains(NOTE), "the answer quotes the note: " + r.asString());
    }
}
