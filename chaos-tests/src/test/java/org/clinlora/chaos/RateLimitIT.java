package org.clinlora.chaos;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.response.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.clinlora.platform.auth.Roles;
import org.clinlora.testing.TestAuth;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Limits per client on tokenizer-svc started from its jar as deployed (scorer-svc shares the same limiter): one
 * pipeline flooding POST /v1/tokenize is answered 429 with Retry-After while another subject's steady calls all pass,
 * and note bytes count as well as requests.
 */
class RateLimitIT {
    static final int PER_SECOND = 10, BURST = 10, BYTES_PER_SECOND = 20_000, BYTE_BURST = 40_000;

    static Cluster cluster;
    static Cluster.Service tokenizer;
    static String model;

    @BeforeAll
    static void start() throws Exception {
        cluster = new Cluster();
        model = "limits-base-" + cluster.run;
        cluster.baseModel(model);
        tokenizer = cluster.start(
                "tokenizer",
                Map.of(
                        "CLINLORA_LIMITS_ENABLED", "true",
                        "CLINLORA_LIMITS_REQUESTS_PER_SECOND", String.valueOf(PER_SECOND),
                        "CLINLORA_LIMITS_REQUEST_BURST", String.valueOf(BURST),
                        "CLINLORA_LIMITS_NOTE_BYTES_PER_SECOND", String.valueOf(BYTES_PER_SECOND),
                        "CLINLORA_LIMITS_NOTE_BYTE_BURST", String.valueOf(BYTE_BURST)));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) cluster.close();
    }

    static String tokenOf(String subject) {
        return TestAuth.issuer().mint(subject, List.of(Roles.DATA_ENGINEER), Duration.ofHours(1));
    }

    static Response tokenize(String token, String note) {
        return given().header("Authorization", "Bearer " + token)
                .contentType("application/json")
                .body(Map.of("model", model, "texts", List.of(note)))
                .post(tokenizer.url() + "/v1/tokenize");
    }

    @Test
    void aFloodingPipelineIsSlowedWhileAnotherKeepsItsPace() throws Exception {
        String flood = tokenOf("pipeline-flood-" + cluster.run), steady = tokenOf("pipeline-steady-" + cluster.run);
        tokenize(steady, "warm up.").then().statusCode(200);
        ConcurrentLinkedQueue<Response> flooded = new ConcurrentLinkedQueue<>();
        long seconds = 4, end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<?>> floods = new ArrayList<>();
        for (int t = 0; t < 6; t++)
            floods.add(pool.submit(() -> {
                while (System.nanoTime() < end) flooded.add(tokenize(flood, "Chief Complaint: cough."));
            }));
        List<Integer> steadyStatuses = new ArrayList<>();
        while (System.nanoTime() < end) {
            steadyStatuses.add(tokenize(steady, "Chief Complaint: fever.").statusCode());
            Thread.sleep(250); // 4 requests/s, under its 10
        }
        for (Future<?> f : floods) f.get();
        pool.shutdown();

        assertTrue(steadyStatuses.size() >= 10, "the steady client kept going: " + steadyStatuses.size());
        assertTrue(steadyStatuses.stream().allMatch(s -> s == 200), "never refused: " + steadyStatuses);
        long ok = flooded.stream().filter(r -> r.statusCode() == 200).count();
        List<Response> refused =
                flooded.stream().filter(r -> r.statusCode() == 429).toList();
        assertEquals(flooded.size(), ok + refused.size(), "only 200 and 429");
        long most = BURST + PER_SECOND * (seconds + 1);
        assertTrue(ok <= most, ok + " admitted of " + flooded.size() + ", at most " + most);
        assertTrue(refused.size() > ok, "the flood was mostly refused: " + refused.size() + " vs " + ok);
        Response r = refused.get(0);
        assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
        assertEquals("rate_limited", r.jsonPath().getString("reason"));
        assertTrue(r.jsonPath().getString("detail").contains("pipeline-flood-"), r.asString());
        assertTrue(Integer.parseInt(r.header("Retry-After")) >= 1, r.header("Retry-After"));
        System.out.printf(
                "RateLimitIT: flood %d requests in %d s, %d admitted (limit %d/s, burst %d), %d refused 429;"
                        + " steady %d requests, all 200%n",
                flooded.size(), seconds, ok, PER_SECOND, BURST, refused.size(), steadyStatuses.size());
    }

    @Test
    void noteBytesCountAndRetryAfterSaysWhenTheNextOnePasses() throws Exception {
        String token = tokenOf("pipeline-bytes-" + cluster.run);
        // 24,986 bytes: under the 40,000 burst, over the 15,014 left after one; the second is owed 9,972 (0.5 s).
        String note = "Chief Complaint: dyspnea. ".repeat(961);
        tokenize(token, note).then().statusCode(200);
        Response refused = tokenize(token, note);
        assertEquals(429, refused.statusCode(), refused.asString());
        assertTrue(refused.jsonPath().getString("detail").contains("MB of notes/s"), refused.asString());
        assertTrue(!refused.asString().contains("dyspnea"), "the note is never echoed");
        int wait = Integer.parseInt(refused.header("Retry-After"));
        assertEquals(1, wait, "under 20,000 bytes owed at 20,000/s: 1 s");
        Thread.sleep(wait * 1000L + 100);
        tokenize(token, note).then().statusCode(200);
    }
}
