package org.clinlora.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * {@code @QuarkusTestResource(LocalInfraResource.class)}: the real Kafka broker and S3Proxy from infra/ are up before
 * Quarkus boots (reused when already running; stopped afterwards when this resource started them).
 */
public final class LocalInfraResource implements QuarkusTestResourceLifecycleManager {
    private boolean startedKafka, startedS3;

    @Override
    public Map<String, String> start() {
        startedKafka = LocalInfra.startIfDown("kafka", LocalInfra.KAFKA_PORT);
        startedS3 = LocalInfra.startIfDown("s3", LocalInfra.S3_PORT);
        return Map.of(
                "kafka.bootstrap.servers", LocalInfra.KAFKA_BOOTSTRAP,
                "clinlora.s3.endpoint", LocalInfra.S3_ENDPOINT);
    }

    @Override
    public void stop() {
        if (startedKafka) LocalInfra.stop("kafka");
        if (startedS3) LocalInfra.stop("s3");
    }
}
