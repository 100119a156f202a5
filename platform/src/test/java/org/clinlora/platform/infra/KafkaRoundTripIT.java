package org.clinlora.platform.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalKafka;
import org.clinlora.testing.TestTopics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The local KRaft broker from infra/ takes a record and gives it back to a consumer group. */
@ExtendWith(LocalKafka.class)
class KafkaRoundTripIT {

    @Test
    void aProducedRecordIsConsumedWithItsKeyValueAndHeaders() throws Exception {
        String topic = TestTopics.of("it-roundtrip-" + UUID.randomUUID()); // deleted with the run's topics
        String id = UUID.randomUUID().toString();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalInfra.KAFKA_BOOTSTRAP);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            ProducerRecord<String, String> rec =
                    new ProducerRecord<>(topic, id, "{\"type\":\"Ping\",\"eventId\":\"" + id + "\"}");
            rec.headers().add("schemaVersion", "1".getBytes(StandardCharsets.UTF_8));
            producer.send(rec).get(60, TimeUnit.SECONDS);
        }

        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, LocalInfra.KAFKA_BOOTSTRAP);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + id);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        ConsumerRecord<String, String> got = null;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (got == null && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    if (id.equals(r.key())) got = r;
                }
            }
        }
        assertNotNull(got, "the record did not come back within 60 s");
        assertEquals("{\"type\":\"Ping\",\"eventId\":\"" + id + "\"}", got.value());
        assertEquals("1", new String(got.headers().lastHeader("schemaVersion").value(), StandardCharsets.UTF_8));
    }
}
