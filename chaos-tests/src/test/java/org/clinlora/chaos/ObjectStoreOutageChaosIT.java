package org.clinlora.chaos;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.response.Response;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.testing.LocalInfra;
import org.junit.jupiter.api.Test;

/**
 * S3Proxy stopped for 15 s under scoring load: requests that need the store (a version not loaded yet) get 503 with
 * Retry-After while it is away, the rest go on being served, nothing answers 500, readiness is DOWN then UP, and every
 * version is served again once the store is back.
 */
class ObjectStoreOutageChaosIT {
    static final int VERSIONS = 12, CLIENTS = 4;

    /**
     * How long the store stays away: five of the delays of the store's circuit breakers (3 s, RetriedObjectStore), so
     * that they open, half-open on a probe that fails and open again several times, long after readiness went DOWN
     * (under 2 s).
     */
    static final Duration OUTAGE = Duration.ofSeconds(15);

    /** Load before the stop and after everything is served again: hundreds of requests each. */
    static final long STEADY_MS = 1500;

    @Test
    void scoringUnderAStoreOutageAnswers503WithRetryAfterAndRecovers() throws Exception {
        try (Cluster c = new Cluster()) {
            String model = "chaos-s3-" + c.run, task = "chaos-s3-task-" + c.run;
            LlamaConfig base = c.baseModel(model);
            List<Cluster.Service> started =
                    c.startTogether(new Cluster.Launch("registry", Map.of()), new Cluster.Launch("scorer", Map.of()));
            Cluster.Service registry = started.get(0), scorer = started.get(1);
            for (int v = 1; v <= VERSIONS; v++) c.publish(registry, base, model, task, List.of("0", "1"), v);
            for (int v = 1; v <= VERSIONS / 2; v++)
                assertEquals(200, score(scorer, task + "@" + v).statusCode(), "warm-up of v" + v);

            AtomicReference<String> phase = new AtomicReference<>("before");
            AtomicBoolean stop = new AtomicBoolean();
            Map<String, Map<Integer, Integer>> byPhase = new ConcurrentHashMap<>();
            Map<String, Integer> missingRetryAfter = new ConcurrentHashMap<>();
            Map<Integer, String> sample = new ConcurrentHashMap<>(); // the first answer of each status other than 200
            Thread[] clients = new Thread[CLIENTS];
            for (int t = 0; t < CLIENTS; t++) {
                SplittableRandom rnd = new SplittableRandom(t);
                clients[t] = new Thread(() -> {
                    while (!stop.get()) {
                        String p = phase.get();
                        // Before the outage only the loaded half; from then on any version.
                        Response r = score(
                                scorer, task + "@" + (1 + rnd.nextInt(p.equals("before") ? VERSIONS / 2 : VERSIONS)));
                        byPhase.computeIfAbsent(p, k -> new ConcurrentHashMap<>())
                                .merge(r.statusCode(), 1, Integer::sum);
                        if (r.statusCode() != 200) sample.putIfAbsent(r.statusCode(), r.asString());
                        if (r.statusCode() == 503 && r.getHeader("Retry-After") == null)
                            missingRetryAfter.merge(p, 1, Integer::sum);
                    }
                });
                clients[t].start();
            }
            Thread.sleep(STEADY_MS);
            long stopped = System.nanoTime();
            phase.set("down");
            LocalInfra.stop("s3");
            Cluster.awaitTrue(
                    "scorer readiness DOWN without the store",
                    Duration.ofSeconds(20),
                    () -> Cluster.readiness(scorer) == 503);
            double downAt = (System.nanoTime() - stopped) / 1e9;
            Thread.sleep(Math.max(0, OUTAGE.toMillis() - (System.nanoTime() - stopped) / 1_000_000));
            phase.set("restarting");
            long back = System.nanoTime();
            LocalInfra.startIfDown("s3", LocalInfra.S3_PORT);
            phase.set("after");
            Cluster.awaitTrue("readiness UP again", Duration.ofSeconds(30), () -> Cluster.readiness(scorer) == 200);
            double readyAfter = (System.nanoTime() - back) / 1e9;
            Cluster.awaitTrue("every version served again", Duration.ofSeconds(60), () -> {
                for (int v = 1; v <= VERSIONS; v++)
                    if (score(scorer, task + "@" + v).statusCode() != 200) return false;
                return true;
            });
            double allServedAfter = (System.nanoTime() - back) / 1e9;
            Thread.sleep(STEADY_MS);
            stop.set(true);
            for (Thread t : clients) t.join(120_000);

            Map<String, Map<Integer, Integer>> seen = new TreeMap<>(byPhase);
            for (var e : seen.entrySet()) {
                for (int status : e.getValue().keySet())
                    assertTrue(
                            status == 200 || status == 503,
                            "only 200 or 503 (" + e.getKey() + "): " + seen + " " + sample);
            }
            assertEquals(Map.of(), missingRetryAfter, "every 503 says when to retry");
            assertTrue(seen.get("down").getOrDefault(503, 0) > 0, "versions not loaded yet need the store: " + seen);
            assertTrue(seen.get("down").getOrDefault(200, 0) > 0, "loaded versions go on being served: " + seen);
            System.out.printf(
                    "RESULT chaos s3: store down %d s, %d clients over %d versions (half loaded before); requests by phase and status %s; readiness DOWN %.1f s after the stop, "
                            + "UP %.1f s after the restart began; every version served again %.1f s after it%n",
                    OUTAGE.toSeconds(), CLIENTS, VERSIONS, seen, downAt, readyAfter, allServedAfter);
        }
    }

    static Response score(Cluster.Service scorer, String ref) {
        return given().contentType("application/json")
                .body(Map.of("task", ref, "notes", List.of("Chief Complaint: fever and cough.")))
                .post(scorer.url() + "/v1/score");
    }
}
