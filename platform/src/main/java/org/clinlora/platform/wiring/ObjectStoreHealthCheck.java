package org.clinlora.platform.wiring;

import jakarta.enterprise.context.ApplicationScoped;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.S3Settings;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Every service reads or writes the bucket, so each is ready only while the bucket answers. Shared through the
 * platform's index like the error mappers; the reason on DOWN is an exception class, never a message with a key or a
 * note.
 */
@Readiness
@ApplicationScoped
public class ObjectStoreHealthCheck implements HealthCheck {
    private final S3Settings settings;
    private final ObjectStore store;

    public ObjectStoreHealthCheck(Config config) {
        this.settings = S3Settings.fromConfig(key -> config.getOptionalValue(key, String.class));
        this.store = new ObjectStore(settings);
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("object-store")
                .withData("endpoint", settings.endpoint())
                .withData("bucket", settings.bucket());
        try {
            return store.bucketExists()
                    ? b.up().build()
                    : b.down().withData("reason", "bucket missing").build();
        } catch (RuntimeException e) {
            return b.down().withData("reason", e.getClass().getSimpleName()).build();
        }
    }
}
