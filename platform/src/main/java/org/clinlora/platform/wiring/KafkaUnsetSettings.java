package org.clinlora.platform.wiring;

import io.smallrye.reactive.messaging.ClientCustomizer;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.Config;

/**
 * Unset means unset for the Kafka client settings the shared configuration takes from CLINLORA_KAFKA_* variables with
 * empty defaults (META-INF/microprofile-config.properties): Quarkus hands every {@code kafka.*} key to the clients, an
 * empty one as "" (its KafkaRuntimeConfigProducer), and to Kafka "" is a file named "" or a login "". A SASL_SSL client
 * with a truststore but no keystore — SCRAM over TLS, what every k8s overlay runs — then failed to start ("Failed to
 * load SSL keystore of type PKCS12"). These keys are dropped from every channel's client while empty; a set value is
 * passed as it is.
 */
@ApplicationScoped
public class KafkaUnsetSettings implements ClientCustomizer<Map<String, Object>> {
    /** The keys whose empty value means "none" (the others keep "": e.g. no hostname check is an empty algorithm). */
    static final Set<String> UNSET_WHEN_EMPTY = Set.of(
            "ssl.keystore.location",
            "ssl.keystore.password",
            "ssl.key.password",
            "ssl.truststore.location",
            "ssl.truststore.password",
            "sasl.jaas.config");

    @Override
    public Map<String, Object> customize(String channel, Config channelConfig, Map<String, Object> config) {
        return withoutUnset(config);
    }

    static Map<String, Object> withoutUnset(Map<String, Object> config) {
        Map<String, Object> out = new HashMap<>(config);
        out.entrySet().removeIf(e -> UNSET_WHEN_EMPTY.contains(e.getKey()) && "".equals(e.getValue()));
        return out;
    }
}
