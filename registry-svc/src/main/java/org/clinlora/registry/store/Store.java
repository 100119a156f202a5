package org.clinlora.registry.store;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.clinlora.core.store.ModelStore;
import org.clinlora.core.store.ObjectStore;
import org.clinlora.core.store.ObjectStore.StoreException;
import org.clinlora.core.store.S3Settings;
import io.smallrye.faulttolerance.api.ExponentialBackoff;
import org.eclipse.microprofile.faulttolerance.Retry;

/**
 * The object store for this service, with retries and exponential backoff on transient failures. Conditional writes
 * that lose (412) are answers, not failures, and are not retried.
 */
@ApplicationScoped
@Retry(maxRetries = 3, delay = 100, jitter = 50, retryOn = StoreException.class)
@ExponentialBackoff(maxDelay = 2, maxDelayUnit = ChronoUnit.SECONDS)
public class Store {
    private final ObjectStore store;
    private final ModelStore models;

    private final S3Settings settings;

    public Store(org.eclipse.microprofile.config.Config config) {
        this.settings = S3Settings.fromConfig(key -> config.getOptionalValue(key, String.class));
        this.store = new ObjectStore(settings);
        this.models = new ModelStore(store);
    }

    public S3Settings settings() {
        return settings;
    }

    /** The unwrapped client, for callers that do their own retrying (tests, benchmarks). */
    public ObjectStore raw() {
        return store;
    }

    public ModelStore models() {
        return models;
    }

    public boolean bucketExists() {
        return store.bucketExists();
    }

    public void put(String key, byte[] data, Map<String, String> meta) {
        store.put(key, data, meta);
    }

    public void put(String key, Path file, Map<String, String> meta) {
        store.put(key, file, meta);
    }

    public boolean putIfAbsent(String key, byte[] data) {
        return store.putIfAbsent(key, data);
    }

    public Optional<byte[]> getBytes(String key) {
        return store.getBytes(key);
    }

    public InputStream open(String key) {
        return store.open(key);
    }

    public List<String> list(String prefix) {
        return store.list(prefix);
    }

    public List<String> listPrefixes(String prefix) {
        return store.listPrefixes(prefix);
    }

    public void delete(String key) {
        store.delete(key);
    }

    public String presignedGet(String key, int seconds) {
        return store.presignedGet(key, seconds);
    }
}
