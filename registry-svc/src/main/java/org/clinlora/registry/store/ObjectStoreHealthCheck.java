package org.clinlora.registry.store;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the bucket answers: without the store the registry can serve nothing. */
@Readiness
@ApplicationScoped
public class ObjectStoreHealthCheck implements HealthCheck {
    private final Store store;
    private final S3Config config;

    public ObjectStoreHealthCheck(Store store, S3Config config) {
        this.store = store;
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("object-store").withData("endpoint", config.endpoint()).withData("bucket", config.bucket());
        try {
            return store.bucketExists() ? b.up().build() : b.down().withData("reason", "bucket missing").build();
        } catch (RuntimeException e) {
            return b.down().withData("reason", e.getClass().getSimpleName()).build();
        }
    }
}
