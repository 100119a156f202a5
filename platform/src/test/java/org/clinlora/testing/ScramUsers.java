package org.clinlora.testing;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;

/**
 * SCRAM-SHA-512 users of the local broker, the stand-ins of Strimzi's KafkaUsers: each made once per test JVM with a
 * random password, through the Admin API on the plain listener. The local broker has no authorizer, so a user may use
 * any topic (the overlays' ACLs are checked by k8s' KustomizeRenderTest).
 */
public final class ScramUsers {
    private static final Map<String, String> PASSWORDS = new ConcurrentHashMap<>();

    private ScramUsers() {}

    /** The JAAS login of {@code user} (what Strimzi puts in the user's Secret as {@code sasl.jaas.config}). */
    public static String jaas(String user) {
        return jaas(user, PASSWORDS.computeIfAbsent(user, ScramUsers::create));
    }

    public static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                + password + "\";";
    }

    private static String create(String user) {
        String password = UUID.randomUUID().toString();
        try (Admin admin = Admin.create(Map.of(
                "bootstrap.servers", LocalInfra.KAFKA_BOOTSTRAP,
                "request.timeout.ms", 10_000,
                "default.api.timeout.ms", 15_000))) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(
                            user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password)))
                    .all()
                    .get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("adding SCRAM user " + user + " failed: " + e.getCause(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return password;
    }
}
