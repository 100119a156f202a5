package org.clinlora.core.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.clinlora.core.store.ModelStore;
import org.clinlora.core.store.ObjectStore;
import org.clinlora.core.store.S3Settings;
import org.eclipse.microprofile.config.Config;

/**
 * The bucket (clinlora.s3.* in application.properties) as CDI beans, for every service that indexes core: one
 * {@link ObjectStore} and one {@link ModelStore} per process.
 */
@ApplicationScoped
public class StoreProducers {
    @Produces
    @Singleton
    ObjectStore objectStore(Config config) {
        return new ObjectStore(S3Settings.fromConfig(key -> config.getOptionalValue(key, String.class)));
    }

    @Produces
    @Singleton
    ModelStore modelStore(ObjectStore store) {
        return new ModelStore(store);
    }
}
