package org.clinlora.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * {@code @QuarkusTestResource(LocalInfraResource.class)}: the real Kafka broker and S3Proxy from infra/ are up before
 * Quarkus boots (reused when already running; stopped afterwards when this resource started them), and the application
 * gets a bucket of this boot's own ({@link TestBucket}, {@code clinlora.s3.bucket}; removed when the boot ends), the
 * run's own topics ({@link TestTopics}) and consumer groups of its own for its shared inputs ({@link TestGroups}).
 */
public final class LocalInfraResource implements QuarkusTestResourceLifecycleManager {
    private boolean startedKafka, startedS3;
    private String components = "kafka,s3";
    private String bucket;

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
        Properties app = application();
        String service = app.getProperty("quarkus.application.name", "unknown-svc");
        Map<String, String> config = new HashMap<>(TestAuth.config(service));
        config.put("kafka.bootstrap.servers", LocalInfra.KAFKA_BOOTSTRAP);
        config.put("clinlora.s3.endpoint", LocalInfra.S3_ENDPOINT);
        // Without a store in this scope, a bucket nobody makes: a write fails instead of landing in the user's bucket.
        bucket = LocalInfra.portOpen(LocalInfra.S3_PORT)
                ? TestBucket.openShared()
                : "test-" + TestBucket.module() + "-" + TestBucket.run() + "-none";
        config.put("clinlora.s3.bucket", bucket);
        config.putAll(TestTopics.config(app));
        config.putAll(TestGroups.config(app, bucket));
        return config;
    }

    /** The module's application.properties (empty when it has none). */
    static Properties application() {
        try (var in = LocalInfraResource.class.getClassLoader().getResourceAsStream("application.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        // The bucket goes before the store that holds it can be stopped.
        if (bucket != null) TestBucket.close(bucket);
        if (startedKafka) {
            TestTopics.deleteRun(); // this broker goes: the run's topics go first (the user's broker deletes at exit)
            LocalInfra.stop("kafka");
        }
        if (startedS3) LocalInfra.stop("s3");
    }
}
