package org.clinlora.scorer;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.testing.HostileInput;
import org.clinlora.testing.HostileInput.Endpoint;
import org.clinlora.testing.KafkaTestClients;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.RoleMatrix;
import org.clinlora.testing.RoleMatrix.Call;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TestTopics;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/** scorer-svc's API under attack: only scorer clients score and evaluate; bad tokens; 1,000+ malformed requests. */
@QuarkusTest
@QuarkusTestResource(
        value = LocalServices.class,
        initArgs = @ResourceArg(name = "services", value = "registry,tokenizer,trainer"))
class SecurityTest {
    @Inject
    ObjectStore store;

    @Test
    void onlyScorerClientsScoreAndEvaluate() {
        Set<String> client = Set.of(Roles.SCORER_CLIENT);
        RoleMatrix.check(
                "scorer-svc",
                List.of(
                        Call.json("POST", "/v1/score", "{\"task\":\"no-such-task\",\"notes\":[\"x\"]}", client),
                        Call.json(
                                "POST",
                                "/v1/evaluate",
                                "{\"task\":\"no-such-task\",\"datasetId\":\"no-such-dataset\"}",
                                client)));
    }

    @Test
    void badTokensAreRefused() throws Exception {
        RoleMatrix.badTokens(Call.json(
                "POST", "/v1/score", "{\"task\":\"no-such-task\",\"notes\":[\"x\"]}", Set.of(Roles.SCORER_CLIENT)));
    }

    @Test
    void poisonOnAdaptersEventsIsDeadLetteredWithAReasonAndTheConsumerGoesOn() {
        String key = "poison-" + UUID.randomUUID();
        try (var producer = KafkaTestClients.producer()) {
            producer.send(new ProducerRecord<>(TestTopics.of("adapters.events"), key, "not an event"));
            producer.send(new ProducerRecord<>(TestTopics.of("adapters.events"), key, "{\"type\":\"NoSuchEvent\"}"));
            producer.send(new ProducerRecord<>(
                    TestTopics.of("adapters.events"), key, "{\"type\":\"AliasMoved\",\"version\":\"x\"}"));
        }
        List<String> reasons = new ArrayList<>();
        try (var dlq = KafkaTestClients.consumer(TestTopics.of("adapters.events.dlq"))) {
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (reasons.size() < 3 && System.nanoTime() < end) {
                for (var r : dlq.poll(Duration.ofMillis(200))) {
                    if (key.equals(r.key()))
                        reasons.add(new String(
                                r.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8));
                }
            }
        }
        Assertions.assertEquals(
                3, reasons.size(), "every poison record dead-lettered, in order, the consumer alive: " + reasons);
        Assertions.assertTrue(reasons.get(0).contains("malformed event JSON"), reasons.get(0));
        Assertions.assertTrue(reasons.get(1).contains("unknown event type"), reasons.get(1));
    }

    @Test
    void malformedAndAdversarialRequestsGet4xxWithAReasonAndChangeNothing() {
        List<Endpoint> endpoints = List.of(
                Endpoint.json(
                        "POST",
                        "/v1/score",
                        "{\"task\":\"no-such-task@production\",\"notes\":[\"Patient admitted with chest pain.\",\"No acute distress.\"]}"),
                Endpoint.json("POST", "/v1/score", "{\"task\":\"no-such-task@3\",\"inputIds\":[[1,15,27,2]]}"),
                Endpoint.json(
                        "POST",
                        "/v1/evaluate",
                        "{\"task\":\"no-such-task\",\"datasetId\":\"no-such-dataset\",\"split\":\"test\"}"));
        HostileInput.run(
                "scorer-svc",
                HostileInput.generate(endpoints, 1000, 14),
                TestAuth.allRoles(),
                HostileInput.bucket(store));
    }
}
