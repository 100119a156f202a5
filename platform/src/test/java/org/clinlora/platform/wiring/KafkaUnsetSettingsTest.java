package org.clinlora.platform.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A SCRAM-over-TLS client as the overlays configure it, with the keystore variables unset: Quarkus passes their keys as
 * "", which Kafka cannot start with; without them (the customizer) it starts. Nothing is dialled: building a producer
 * loads its TLS and SASL settings.
 */
class KafkaUnsetSettingsTest {
    static Map<String, Object> asQuarkusPassesThem() {
        Map<String, Object> c = new HashMap<>();
        c.put("bootstrap.servers", "127.0.0.1:1");
        c.put("security.protocol", "SASL_SSL");
        c.put("sasl.mechanism", "SCRAM-SHA-512");
        c.put(
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";");
        c.put("ssl.truststore.location", "");
        c.put("ssl.truststore.password", "");
        c.put("ssl.truststore.type", "PKCS12");
        c.put("ssl.keystore.location", "");
        c.put("ssl.keystore.password", "");
        c.put("ssl.keystore.type", "PKCS12");
        c.put("ssl.endpoint.identification.algorithm", "");
        return c;
    }

    @Test
    void emptyLocationsAndLoginsAreLeftOutAndEverythingElseStays() {
        Map<String, Object> in = asQuarkusPassesThem();
        KafkaException e = assertThrows(KafkaException.class, () -> producer(in).close());
        StringBuilder why = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause())
            why.append(t.getMessage()).append(" / ");
        assertTrue(why.toString().contains("Failed to load SSL keystore"), "Kafka refuses \"\": " + why);

        Map<String, Object> out = new KafkaUnsetSettings().customize("any-channel", null, in);
        producer(out).close();
        for (String k : KafkaUnsetSettings.UNSET_WHEN_EMPTY)
            if (!k.equals("sasl.jaas.config")) assertTrue(!out.containsKey(k), k + " left out");
        assertEquals(in.get("sasl.jaas.config"), out.get("sasl.jaas.config"), "a set value is kept");
        assertEquals("", out.get("ssl.endpoint.identification.algorithm"), "\"\" kept where it means something");
        assertEquals("PKCS12", out.get("ssl.keystore.type"));
    }

    private static KafkaProducer<String, String> producer(Map<String, Object> config) {
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }
}
