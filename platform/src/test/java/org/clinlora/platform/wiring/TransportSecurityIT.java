package org.clinlora.platform.wiring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.S3Settings;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalKafka;
import org.clinlora.testing.LocalS3;
import org.clinlora.testing.ScramUsers;
import org.clinlora.testing.TestBucket;
import org.clinlora.testing.TestTopics;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 35, transport security: the variables every k8s overlay gives a service (components/kafka-tls: SASL_SSL,
 * SCRAM-SHA-512, the user's JAAS login, the cluster CA as a PKCS12 truststore with its password; base/config.yaml and
 * the CA mount: the https endpoint and CLINLORA_S3_CA_FILE), with local values — infra's TLS mode (Kafka's SASL_SSL
 * listener, S3Proxy's https endpoint, their throwaway CA) — through the platform's shared configuration
 * (META-INF/microprofile-config.properties, as every service reads it): a record is published and consumed as a SCRAM
 * user over TLS, an object put and read back over https. Without the CA, or in plaintext against the TLS ports, each
 * client fails, and says so. (ManifestRehearsalIT starts the dev render's services themselves on the same transport.)
 */
@ExtendWith({LocalKafka.class, LocalS3.class})
class TransportSecurityIT {
    static final String SHARED = "META-INF/microprofile-config.properties";
    static LocalInfra.Tls tls;
    static SmallRyeConfig config;

    @BeforeAll
    static void overlayEnvironment() throws Exception {
        tls = LocalInfra.tls();
        Map<String, String> env = Map.of(
                "CLINLORA_KAFKA_BOOTSTRAP",
                "127.0.0.1:" + LocalInfra.KAFKA_SSL_PORT,
                "CLINLORA_KAFKA_SECURITY_PROTOCOL",
                "SASL_SSL",
                "CLINLORA_KAFKA_SASL_MECHANISM",
                "SCRAM-SHA-512",
                "CLINLORA_KAFKA_SASL_JAAS_CONFIG",
                ScramUsers.jaas("transport-" + TestBucket.run()),
                "CLINLORA_KAFKA_TRUSTSTORE_LOCATION",
                tls.truststore().toString(),
                "CLINLORA_KAFKA_TRUSTSTORE_TYPE",
                "PKCS12",
                "CLINLORA_KAFKA_TRUSTSTORE_PASSWORD",
                tls.truststorePassword(),
                "CLINLORA_S3_ENDPOINT",
                LocalInfra.S3_TLS_ENDPOINT,
                "CLINLORA_S3_CA_FILE",
                tls.caPem().toString(),
                "CLINLORA_S3_BUCKET",
                TestBucket.current());
        // The platform jar's own file (its classes directory or its jar; not another jar's of the same name).
        String platform = ObjectStore.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toString();
        URL shared = Collections.list(ObjectStore.class.getClassLoader().getResources(SHARED)).stream()
                .filter(u -> u.toString().contains(platform))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + SHARED + " in " + platform));
        config = new SmallRyeConfigBuilder()
                .addDefaultInterceptors()
                .withSources(new PropertiesConfigSource(shared, 100))
                .withSources(new PropertiesConfigSource(env, "the overlay's environment", 300))
                .build();
    }

    /**
     * The Kafka clients' settings as the services' clients get them: every kafka.* key without the prefix, an unset one
     * as "" (Quarkus' KafkaRuntimeConfigProducer), then the platform's {@link KafkaUnsetSettings}.
     */
    static Properties kafka() {
        Map<String, Object> quarkus = new HashMap<>();
        for (String name : config.getPropertyNames())
            if (name.startsWith("kafka."))
                quarkus.put(
                        name.substring(6),
                        config.getOptionalValue(name, String.class).orElse(""));
        Properties p = new Properties();
        p.putAll(new KafkaUnsetSettings().customize("any", config, quarkus));
        p.put("request.timeout.ms", "5000");
        p.put("default.api.timeout.ms", "8000");
        return p;
    }

    @Test
    void aRecordGoesThroughKafkaAsAScramUserOverTls() throws Exception {
        Properties p = kafka();
        assertEquals("SASL_SSL", p.get("security.protocol"));
        assertEquals(tls.truststore().toString(), p.get("ssl.truststore.location"));
        String topic = TestTopics.of("transport.tls"), value = "over TLS " + UUID.randomUUID();
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", value)).get();
        }
        p.put("group.id", "transport-" + UUID.randomUUID());
        p.put("auto.offset.reset", "earliest");
        List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (seen.isEmpty() && System.nanoTime() < end)
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) seen.add(r.value());
        }
        assertEquals(List.of(value), seen, "consumed over SASL_SSL what was published over it");
    }

    @Test
    void kafkaWithoutTheCaOrInPlaintextIsRefused() {
        Properties noCa = kafka();
        noCa.keySet().removeIf(k -> k.toString().startsWith("ssl.truststore."));
        Throwable e = describeFails(noCa);
        assertTrue(e instanceof SslAuthenticationException, "the broker's certificate is not trusted: " + e);
        assertTrue(e.getMessage().contains("SSL handshake failed"), e.getMessage());
        Properties plain = kafka();
        plain.put("security.protocol", "SASL_PLAINTEXT");
        // A plaintext client never gets an answer from the TLS listener, so this waits out the whole API timeout: 3 s
        // rather than 8 (a wrongly accepted plaintext conversation would answer in milliseconds).
        plain.put("request.timeout.ms", "2000");
        plain.put("default.api.timeout.ms", "3000");
        assertTrue(describeFails(plain) instanceof TimeoutException, "no plaintext conversation on the TLS listener");
    }

    private static Throwable describeFails(Properties p) {
        try (Admin admin = Admin.create(p)) {
            return assertThrows(
                            ExecutionException.class,
                            () -> admin.describeCluster().clusterId().get())
                    .getCause();
        }
    }

    @Test
    void anObjectGoesThroughTheStoreOverHttpsTrustingOnlyTheCaFile() {
        S3Settings s = S3Settings.fromConfig(k -> config.getOptionalValue(k, String.class));
        assertEquals(LocalInfra.S3_TLS_ENDPOINT, s.endpoint());
        assertEquals(tls.caPem().toString(), s.caFile());
        byte[] data = ("over https " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        ObjectStore store = new ObjectStore(s);
        store.put("transport/tls.txt", data, Map.of());
        assertArrayEquals(data, store.getBytes("transport/tls.txt").orElseThrow());

        ObjectStore.StoreException untrusted = assertThrows(
                ObjectStore.StoreException.class,
                () -> new ObjectStore(
                                new S3Settings(s.endpoint(), s.accessKey(), s.secretKey(), s.region(), s.bucket()))
                        .getBytes("transport/tls.txt"));
        assertTrue(
                untrusted.getMessage().contains("certificat"),
                "without the CA file the JVM's trust refuses the certificate, and says so: " + untrusted);
        String plain = s.endpoint().replace("https://", "http://");
        assertThrows(
                ObjectStore.StoreException.class,
                () -> new ObjectStore(new S3Settings(plain, s.accessKey(), s.secretKey(), s.region(), s.bucket()))
                        .getBytes("transport/tls.txt"),
                "plain http to the https endpoint");
    }
}
