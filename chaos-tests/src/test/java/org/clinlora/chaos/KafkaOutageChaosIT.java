package org.clinlora.chaos;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.platform.events.AliasMoved;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.events.Events;
import org.clinlora.platform.events.OutboxRelay;
import org.clinlora.platform.events.TrainingCompleted;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.testing.KafkaTestClients;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TestTopics;
import org.junit.jupiter.api.Test;

/**
 * The broker stopped for 30 s while an alias moves and a training job completes: when it is back, the scorer serves the
 * new version (it learns of the move only from the event: its alias cache lasts an hour here) and the completion is
 * announced once. Readiness goes DOWN while the broker is away and UP again without a restart.
 */
class KafkaOutageChaosIT {
    @Test
    void changesMadeWhileTheBrokerIsDownAreAnnouncedOnceWhenItIsBack() throws Exception {
        try (Cluster c = new Cluster();
                KafkaConsumer<String, String> training = KafkaTestClients.consumer(TestTopics.of("training.events"));
                KafkaConsumer<String, String> adapters = KafkaTestClients.consumer(TestTopics.of("adapters.events"))) {
            String model = "chaos-kafka-" + c.run, task = "chaos-los-" + c.run, job = "chaos-job-" + c.run;
            LlamaConfig base = c.baseModel(model);
            List<Cluster.Service> started = c.startTogether(
                    new Cluster.Launch("registry", Map.of()),
                    new Cluster.Launch("tokenizer", Map.of()),
                    new Cluster.Launch("trainer", Map.of()),
                    new Cluster.Launch("scorer", Map.of("CLINLORA_SCORER_ALIAS_TTL", "PT1H")));
            Cluster.Service registry = started.get(0),
                    tokenizer = started.get(1),
                    trainer = started.get(2),
                    scorer = started.get(3);
            c.publish(registry, base, model, task, List.of("0", "1", "2", "3"), 1);
            c.publish(registry, base, model, task, List.of("0", "1", "2", "3"), 2);
            RegistryClient reg = new RegistryClient(registry.url(), TestAuth::allRoles);
            reg.moveAlias(task, "production", 1, null);

            String dataset = c.notesDataset(tokenizer, model, "chaos-kafka-ds-" + c.run, 200);
            assertEquals(task + "@1", servedVersion(scorer, task));
            for (Cluster.Service s : List.of(registry, trainer, scorer))
                assertEquals(200, Cluster.readiness(s), s.svc + " ready before");

            long stopped = System.nanoTime();
            LocalInfra.stop("kafka");
            reg.moveAlias(task, "production", 2, 1); // durable at once; its AliasMoved waits in the registry's outbox
            given().contentType("application/json")
                    .body(Map.of(
                            "jobId",
                            job,
                            "kind",
                            "domain_adaptation",
                            "baseModel",
                            model,
                            "datasets",
                            Map.of("train", dataset),
                            "outputName",
                            "chaos-clin-" + c.run,
                            "optim",
                            Map.of("learningRate", 0.01, "batchSize", 8, "gradientAccumulation", 1, "maxSteps", 10)))
                    .post(trainer.url() + "/v1/jobs")
                    .then()
                    .statusCode(202);
            JsonPath done = Cluster.await(
                    trainer.url() + "/v1/jobs/" + job,
                    List.of("succeeded", "failed", "cancelled"),
                    Duration.ofMinutes(2));
            assertEquals("succeeded", done.getString("status"), done.prettify());
            double jobDoneAt = (System.nanoTime() - stopped) / 1e9;
            Cluster.awaitTrue(
                    "the scorer's readiness goes DOWN without the broker",
                    Duration.ofSeconds(30),
                    () -> Cluster.readiness(scorer) == 503);
            double downAt = (System.nanoTime() - stopped) / 1e9;
            assertEquals(task + "@1", servedVersion(scorer, task), "no event yet: still the old version");
            long wait = Duration.ofSeconds(30).toNanos() - (System.nanoTime() - stopped);
            if (wait > 0) Thread.sleep(wait / 1_000_000);
            double outage = (System.nanoTime() - stopped) / 1e9;

            long back = System.nanoTime();
            LocalInfra.startIfDown("kafka", LocalInfra.KAFKA_PORT);
            double brokerStart = (System.nanoTime() - back) / 1e9;
            Cluster.awaitTrue(
                    "the scorer serves the version the alias moved to",
                    Duration.ofSeconds(90),
                    () -> (task + "@2").equals(servedVersion(scorer, task)));
            double servedAfter = (System.nanoTime() - back) / 1e9;
            List<Event> trainingEvents = new ArrayList<>(), adapterEvents = new ArrayList<>();
            Cluster.awaitTrue("TrainingCompleted announced", Duration.ofSeconds(90), () -> {
                drain(training, trainingEvents);
                return trainingEvents.stream()
                        .anyMatch(e ->
                                e instanceof TrainingCompleted t && t.jobId().equals(job));
            });
            double completedAfter = (System.nanoTime() - back) / 1e9;
            Cluster.awaitTrue(
                    "every service ready again",
                    Duration.ofSeconds(60),
                    () -> List.of(registry, trainer, scorer, tokenizer).stream()
                            .allMatch(s -> Cluster.readiness(s) == 200));
            double readyAfter = (System.nanoTime() - back) / 1e9;
            // A re-send would come with the outbox relay's next round: wait one period and some.
            long quiet = System.nanoTime()
                    + Duration.ofSeconds(OutboxRelay.EVERY_SECONDS + 3).toNanos();
            while (System.nanoTime() < quiet) {
                drain(training, trainingEvents);
                drain(adapters, adapterEvents);
            }
            long completions = trainingEvents.stream()
                    .filter(e -> e instanceof TrainingCompleted t && t.jobId().equals(job))
                    .count();
            long moves = adapterEvents.stream()
                    .filter(e -> e instanceof AliasMoved m && m.name().equals(task) && m.version() == 2)
                    .count();
            assertEquals(1, completions, "TrainingCompleted once");
            assertEquals(1, moves, "AliasMoved once");
            assertTrue(downAt < outage);
            System.out.printf(
                    "RESULT chaos kafka: broker down %.1f s (job succeeded %.1f s into it, scorer readiness DOWN at %.1f s); broker back in %.1f s; "
                            + "scorer serves v2 %.1f s after the restart began, TrainingCompleted %.1f s after, all services ready %.1f s after; "
                            + "TrainingCompleted received %d time(s), AliasMoved %d time(s)%n",
                    outage,
                    jobDoneAt,
                    downAt,
                    brokerStart,
                    servedAfter,
                    completedAfter,
                    readyAfter,
                    completions,
                    moves);
        }
    }

    static String servedVersion(Cluster.Service scorer, String task) {
        var r = given().contentType("application/json")
                .body(Map.of("task", task, "notes", List.of("Chief Complaint: chest pain.")))
                .post(scorer.url() + "/v1/score");
        return r.statusCode() == 200 ? r.jsonPath().getString("adapter.ref") : "status " + r.statusCode();
    }

    static void drain(KafkaConsumer<String, String> consumer, List<Event> into) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            try {
                into.add(Events.parse(r.value()));
            } catch (RuntimeException e) {
                // another schema on the topic: not ours to read here
            }
        }
    }
}
