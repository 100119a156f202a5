package org.clinlora.platform.wiring;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.enterprise.inject.Typed;
import jakarta.inject.Singleton;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.S3Settings;
import org.eclipse.microprofile.config.Config;

/**
 * The bucket (clinlora.s3.* in application.properties) as CDI beans, for every service that indexes the platform: the
 * raw {@link ObjectStore} under the fault-tolerant {@link BlobStore} services inject, and one {@link ModelStore} over
 * that {@code BlobStore} per process.
 */
@ApplicationScoped
public class StoreProducers {
    /** Typed ObjectStore only: services inject {@link BlobStore}; tests arrange the bucket through this one. */
    @Produces
    @Singleton
    @Typed(ObjectStore.class)
    ObjectStore objectStore(Config config) {
        return new ObjectStore(S3Settings.fromConfig(key -> config.getOptionalValue(key, String.class)));
    }

    @Produces
    @Singleton
    ModelStore modelStore(BlobStore store) {
        return new ModelStore(store);
    }
}
