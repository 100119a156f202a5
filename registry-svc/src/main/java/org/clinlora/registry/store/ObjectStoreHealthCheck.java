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

    public ObjectStoreHealthCheck(Store store) {
        this.store = store;
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("object-store").withData("endpoint", store.settings().endpoint())
                .withData("bucket", store.settings().bucket());
        try {
            return store.bucketExists() ? b.up().build() : b.down().withData("reason", "bucket missing").build();
        } catch (RuntimeException e) {
            return b.down().withData("reason", e.getClass().getSimpleName()).build();
        }
    }
}
