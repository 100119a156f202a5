package org.clinlora.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * {@code @QuarkusTestResource(LocalInfraResource.class)}: the real Kafka broker and S3Proxy from infra/ are up before
 * Quarkus boots (reused when already running; stopped afterwards when this resource started them).
 */
public final class LocalInfraResource implements QuarkusTestResourceLifecycleManager {
    private boolean startedKafka, startedS3;
    private String components = "kafka,s3";

    /** {@code @ResourceArg(name = "components", value = "s3")} starts only what a service uses. */
    @Override
    public void init(Map<String, String> initArgs) {
        components = initArgs.getOrDefault("components", components);
    }

    @Override
    public Map<String, String> start() {
        if (components.contains("kafka")) startedKafka = LocalInfra.startIfDown("kafka", LocalInfra.KAFKA_PORT);
        if (components.contains("s3")) startedS3 = LocalInfra.startIfDown("s3", LocalInfra.S3_PORT);
        TestAuth.installRestAssuredDefault();
        Map<String, String> config = new HashMap<>(TestAuth.config(serviceUnderTest()));
        config.put("kafka.bootstrap.servers", LocalInfra.KAFKA_BOOTSTRAP);
        config.put("clinlora.s3.endpoint", LocalInfra.S3_ENDPOINT);
        return config;
    }

    /** The module's Quarkus application name ({@code registry-svc}, ...), from its application.properties. */
    static String serviceUnderTest() {
        try (var in = LocalInfraResource.class.getClassLoader().getResourceAsStream("application.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("quarkus.application.name", "unknown-svc");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (startedKafka) LocalInfra.stop("kafka");
        if (startedS3) LocalInfra.stop("s3");
    }
}
