package org.clinlora.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A service's shared input read in a group of the test scope's own: the group name gets the scope appended, the
 * scorer's per-instance group is left as it is, and a new group starts at the topic's end — a record sent before the
 * scope opened (another test's, or the user's services') is not read, one sent after is, even with the services'
 * {@code auto.offset.reset=earliest}.
 */
@ExtendWith(LocalKafka.class)
class TestGroupsIT {

    @Test
    void fixedGroupsGetTheScopeAppendedAndPerInstanceGroupsAreLeftAlone() {
        Properties app = new Properties();
        app.put("mp.messaging.incoming.training-requests.topic", "training.requests");
        app.put("mp.messaging.incoming.training-requests.group.id", "trainer-svc");
        app.put("mp.messaging.incoming.adapters-events.group.id", "scorer-svc-${quarkus.uuid}");
        List<TestGroups.Input> inputs = TestGroups.inputs(app, "test-x-1");
        assertEquals(
                List.of(new TestGroups.Input(
                        "training-requests",
                        TestTopics.of("training.requests"),
                        "trainer-svc",
                        "trainer-svc-test-x-1")),
                inputs);
        assertEquals(
                "MP_MESSAGING_INCOMING_TRAINING_REQUESTS_GROUP_ID",
                inputs.get(0).variable());
    }

    @Test
    void aNewScopesGroupReadsWhatIsSentAfterItOpenedAndNothingFromBefore() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        // The service's topic as the application names it, and as it reads it in this run (TestTopics).
        String named = "test-groups-" + run, topic = TestTopics.of(named), group = "svc-test-groups-" + run;
        try (KafkaProducer<String, String> p = KafkaTestClients.producer()) {
            p.send(new ProducerRecord<>(topic, "k", "before")).get();
            Properties app = new Properties();
            app.put("mp.messaging.incoming.in.topic", named);
            app.put("mp.messaging.incoming.in.group.id", "svc");
            assertEquals(
                    Map.of("mp.messaging.incoming.in.group.id", group), TestGroups.config(app, "test-groups-" + run));
            p.send(new ProducerRecord<>(topic, "k", "after")).get();
        }
        Properties c = new Properties();
        c.put("bootstrap.servers", LocalInfra.KAFKA_BOOTSTRAP);
        c.put("group.id", group);
        c.put("auto.offset.reset", "earliest"); // as the services read: only the committed position keeps history out
        List<String> read = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (read.isEmpty() && System.nanoTime() < end)
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) read.add(r.value());
        }
        assertEquals(List.of("after"), read);
    }
}
