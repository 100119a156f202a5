package org.clinlora.testing;

import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** String producers and consumers on the local broker, for tests that publish to or read from the services' topics. */
public final class KafkaTestClients {
    private KafkaTestClients() {}

    public static KafkaProducer<String, String> producer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", LocalInfra.KAFKA_BOOTSTRAP);
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    /** A consumer in a fresh group, subscribed to {@code topic} from its earliest record. */
    public static KafkaConsumer<String, String> consumer(String topic) {
        Properties p = new Properties();
        p.put("bootstrap.servers", LocalInfra.KAFKA_BOOTSTRAP);
        p.put("group.id", "test-" + UUID.randomUUID());
        p.put("auto.offset.reset", "earliest");
        KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
        c.subscribe(List.of(topic));
        return c;
    }
}
