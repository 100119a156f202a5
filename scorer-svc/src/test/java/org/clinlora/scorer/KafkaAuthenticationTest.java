package org.clinlora.scorer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.clinlora.platform.events.ClinicalNote;
import org.clinlora.platform.events.Events;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.testing.KafkaTestClients;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalKafka;
import org.clinlora.testing.LocalS3;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestTopics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The services' Kafka client security by configuration, against the local broker's SASL/SCRAM-SHA-512 listener:
 * tokenizer-svc started with {@code CLINLORA_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT}, the mechanism and a JAAS login
 * consumes notes.raw as its SCRAM user; the broker refuses a client with the wrong password. A plain test class in a
 * module of Quarkus tests: its bucket ({@link LocalS3}) is its own even while the module's application is up.
 */
@ExtendWith({LocalKafka.class, LocalS3.class})
class KafkaAuthenticationTest {

    static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                + password + "\";";
    }

    static Properties sasl(String user, String password) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + LocalInfra.KAFKA_SASL_PORT);
        p.put("security.protocol", "SASL_PLAINTEXT");
        p.put("sasl.mechanism", "SCRAM-SHA-512");
        p.put("sasl.jaas.config", jaas(user, password));
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        return p;
    }

    @Test
    void aServiceConfiguredForScramConsumesAsItsUserAndAWrongPasswordIsRefused() throws Exception {
        String user = "tokenizer-" + UUID.randomUUID().toString().substring(0, 8),
                password = UUID.randomUUID().toString();
        Properties plain = new Properties();
        plain.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, LocalInfra.KAFKA_BOOTSTRAP);
        try (Admin admin = Admin.create(plain)) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(
                            user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password)))
                    .all()
                    .get();
        }
        try (Admin good = Admin.create(sasl(user, password))) {
            assertTrue(!good.describeCluster().clusterId().get().isBlank(), "the right password logs in");
        }
        try (Admin bad = Admin.create(sasl(user, "wrong-" + password))) {
            ExecutionException e = assertThrows(
                    ExecutionException.class,
                    () -> bad.describeCluster().clusterId().get());
            assertTrue(e.getCause() instanceof SaslAuthenticationException, "refused by SCRAM: " + e.getCause());
        }

        Map<String, String> env = new HashMap<>();
        env.put("CLINLORA_KAFKA_BOOTSTRAP", "127.0.0.1:" + LocalInfra.KAFKA_SASL_PORT);
        env.put("CLINLORA_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT");
        env.put("CLINLORA_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
        env.put("CLINLORA_KAFKA_SASL_JAAS_CONFIG", jaas(user, password));
        Process tokenizer = LocalServices.launch("tokenizer", LocalServices.freePort(), env);
        try {
            String stream = "scram-" + user;
            ObjectStore store = new ObjectStore(LocalInfra.s3Settings());
            try (KafkaProducer<String, String> p = KafkaTestClients.producer()) {
                p.send(new ProducerRecord<>(
                                TestTopics.of("notes.raw"),
                                stream,
                                Events.toJson(ClinicalNote.of(
                                        stream, "n1", "101", "Chief complaint: chest pain.", List.of("1")))))
                        .get();
            }
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < end
                    && store.list(StoreLayout.noteStream(stream)).isEmpty()) Thread.sleep(200);
            assertEquals(
                    1,
                    store.list(StoreLayout.noteStream(stream)).size(),
                    "tokenizer-svc consumed notes.raw over SASL/SCRAM");
        } finally {
            tokenizer.destroy();
            tokenizer.waitFor();
        }
    }
}
