package org.clinlora.platform.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.enterprise.inject.Typed;
import jakarta.inject.Singleton;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.RetryingStore;
import org.clinlora.platform.store.S3Settings;
import org.eclipse.microprofile.config.Config;

/**
 * The bucket (clinlora.s3.* in application.properties) as CDI beans, for every service that indexes the platform:
 * one {@link ObjectStore} (the raw client) and one {@link ModelStore} over the {@link RetryingStore} per process.
 */
@ApplicationScoped
public class StoreProducers {
    /** Typed ObjectStore only: services inject {@link BlobStore}, which is the retrying store. */
    @Produces
    @Singleton
    @Typed(ObjectStore.class)
    ObjectStore objectStore(Config config) {
        return new ObjectStore(S3Settings.fromConfig(key -> config.getOptionalValue(key, String.class)));
    }

    @Produces
    @Singleton
    ModelStore modelStore(RetryingStore store) {
        return new ModelStore(store);
    }
}
