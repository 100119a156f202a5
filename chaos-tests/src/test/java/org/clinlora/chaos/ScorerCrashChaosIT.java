package org.clinlora.chaos;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.response.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.platform.events.Events;
import org.clinlora.platform.events.ScoreRequest;
import org.clinlora.platform.events.ScoreResult;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.testing.KafkaTestClients;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TestTopics;
import org.junit.jupiter.api.Test;

/** scorer-svc killed while batch requests from scores.requests are in flight, and a scorer whose queue is full. */
class ScorerCrashChaosIT {
    static final int REQUESTS = 300;
    static final String NOTE =
            "Chief Complaint: dyspnea.\nHistory of Present Illness: ___ year old woman admitted with pneumonia, intubated on day 2.";

    @Test
    void everyRequestInFlightWhenTheScorerIsKilledGetsOneResultAfterTheRestart() throws Exception {
        try (Cluster c = new Cluster();
                KafkaConsumer<String, String> results = KafkaTestClients.consumer(TestTopics.of("scores.results"))) {
            String model = "chaos-score-" + c.run, task = "chaos-mor-" + c.run;
            LlamaConfig base = c.baseModel(model);
            List<Cluster.Service> started =
                    c.startTogether(new Cluster.Launch("registry", Map.of()), new Cluster.Launch("scorer", Map.of()));
            Cluster.Service registry = started.get(0), scorer = started.get(1);
            c.publish(registry, base, model, task, List.of("0", "1"), 1);
            new RegistryClient(registry.url(), TestAuth::allRoles).moveAlias(task, "production", 1, null);

            Set<String> ids = new HashSet<>();
            try (KafkaProducer<String, String> producer = KafkaTestClients.producer()) {
                for (int i = 0; i < REQUESTS; i++) {
                    String id = "req-" + c.run + "-" + i;
                    ids.add(id);
                    producer.send(new ProducerRecord<>(
                            TestTopics.of("scores.requests"),
                            id,
                            Events.toJson(ScoreRequest.of(id, task, NOTE + " Day " + i + "."))));
                }
            }
            Map<String, List<ScoreResult>> got = new HashMap<>();
            long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (got.size() < 30 && System.nanoTime() < end) poll(results, ids, got);
            c.kill(scorer);
            int beforeKill = got.size();
            long killedAt = System.nanoTime();
            c.restart(scorer);
            double restartSeconds = (System.nanoTime() - killedAt) / 1e9;
            end = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (got.size() < REQUESTS && System.nanoTime() < end) poll(results, ids, got);
            double allAnsweredSeconds = (System.nanoTime() - killedAt) / 1e9;
            long quiet = System.nanoTime() + Duration.ofSeconds(5).toNanos(); // anything sent twice would arrive by now
            while (System.nanoTime() < quiet) poll(results, ids, got);

            assertEquals(REQUESTS, got.size(), "every request id answered");
            int records = 0;
            for (var e : got.entrySet()) {
                records += e.getValue().size();
                Set<String> eventIds = new HashSet<>();
                for (ScoreResult r : e.getValue()) {
                    eventIds.add(r.eventId());
                    assertEquals(null, r.error(), e.getKey());
                    assertEquals(
                            1.0,
                            r.probabilities().values().stream()
                                    .mapToDouble(Double::doubleValue)
                                    .sum(),
                            1e-5);
                }
                assertEquals(
                        Set.of(ScoreResult.eventIdOf(e.getKey())),
                        eventIds,
                        "one result (event id) per request id: " + e.getKey());
            }
            System.out.printf(
                    "RESULT chaos scorer: %d of %d results out before the kill; restarted in %.1f s; all %d answered %.1f s after the kill; "
                            + "%d result records for %d request ids (%d sent again, each with its request's one event id)%n",
                    beforeKill,
                    REQUESTS,
                    restartSeconds,
                    got.size(),
                    allAnsweredSeconds,
                    records,
                    got.size(),
                    records - got.size());
        }
    }

    @Test
    void aFullQueueAnswers429WithRetryAfterAndNoRequestIsLost() throws Exception {
        try (Cluster c = new Cluster()) {
            String model = "chaos-queue-" + c.run, task = "chaos-q-" + c.run;
            LlamaConfig base = c.baseModel(model);
            List<Cluster.Service> started = c.startTogether(
                    new Cluster.Launch("registry", Map.of()),
                    new Cluster.Launch(
                            "scorer",
                            Map.of("CLINLORA_SCORER_MAX_BATCH_ROWS", "8", "CLINLORA_SCORER_QUEUE_ROWS", "16")));
            Cluster.Service registry = started.get(0), scorer = started.get(1);
            c.publish(registry, base, model, task, List.of("0", "1"), 1);
            List<String> notes = new ArrayList<>();
            for (int i = 0; i < 8; i++) notes.add(NOTE + " Note " + i + ".");
            Map<String, Object> body = Map.of("task", task + "@1", "notes", notes);
            given().contentType("application/json")
                    .body(body)
                    .post(scorer.url() + "/v1/score")
                    .then()
                    .statusCode(200); // warm

            ExecutorService pool = Executors.newFixedThreadPool(24);
            List<Future<Response>> answers = new ArrayList<>();
            for (int i = 0; i < 48; i++)
                answers.add(pool.submit(
                        () -> given().contentType("application/json").body(body).post(scorer.url() + "/v1/score")));
            Map<Integer, Integer> byStatus = new TreeMap<>();
            for (Future<Response> f : answers) {
                Response r = f.get();
                byStatus.merge(r.statusCode(), 1, Integer::sum);
                if (r.statusCode() == 429) {
                    assertNotNull(r.getHeader("Retry-After"), "429 says when to retry");
                    assertTrue(r.getContentType().startsWith("application/problem+json"), r.getContentType());
                    assertEquals("queue_full", r.jsonPath().getString("reason"), r.asString());
                } else {
                    assertEquals(200, r.statusCode(), r.asString());
                    assertEquals(8, r.jsonPath().getList("results").size());
                }
            }
            pool.shutdown();
            assertTrue(byStatus.getOrDefault(429, 0) > 0, "the queue of 16 rows overflowed: " + byStatus);
            given().contentType("application/json")
                    .body(body)
                    .post(scorer.url() + "/v1/score")
                    .then()
                    .statusCode(200);
            System.out.printf(
                    "RESULT chaos scorer queue: 48 concurrent requests of 8 notes on a 16-row queue -> %s, every 429 with Retry-After; 200 again afterwards%n",
                    byStatus);
        }
    }

    static void poll(KafkaConsumer<String, String> consumer, Set<String> ids, Map<String, List<ScoreResult>> got) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(300))) {
            if (!ids.contains(r.key())) continue;
            got.computeIfAbsent(r.key(), k -> new ArrayList<>()).add((ScoreResult) Events.parse(r.value()));
        }
    }
}
