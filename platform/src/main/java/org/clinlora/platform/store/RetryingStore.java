package org.clinlora.platform.store;

import io.smallrye.faulttolerance.api.ExponentialBackoff;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.clinlora.platform.store.ObjectStore.StoreException;
import org.eclipse.microprofile.faulttolerance.Retry;

/**
 * The bucket as every service uses it: each call retried with exponential backoff (SmallRye Fault Tolerance) when the
 * store fails ({@link StoreException}: unreachable, 5xx); conditional writes that lose (412) are answers, not failures,
 * and are not retried. The one {@link BlobStore} bean a service injects; the plain {@link ObjectStore} stays for the
 * readiness check, which must see failures as they are.
 */
@ApplicationScoped
@Retry(maxRetries = 3, delay = 100, jitter = 50, retryOn = StoreException.class)
@ExponentialBackoff(maxDelay = 2, maxDelayUnit = ChronoUnit.SECONDS)
public class RetryingStore implements BlobStore {
    private final BlobStore store;
    private final ModelStore models;

    /** Over the process's bucket (the ObjectStore bean); unit tests give an in-memory store. */
    @Inject
    public RetryingStore(ObjectStore store) {
        this((BlobStore) store);
    }

    public RetryingStore(BlobStore store) {
        this.store = store;
        this.models = new ModelStore(store);
    }

    /** The unwrapped store, for callers that do their own retrying (tests, benchmarks). */
    public BlobStore raw() {
        return store;
    }

    public ModelStore models() {
        return models;
    }


    @Override
    public void put(String key, byte[] data, Map<String, String> meta) {
        store.put(key, data, meta);
    }

    @Override
    public void put(String key, Path file, Map<String, String> meta) {
        store.put(key, file, meta);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] data) {
        return store.putIfAbsent(key, data);
    }

    public Optional<byte[]> getBytes(String key) {
        return store.getBytes(key);
    }

    public Optional<Long> size(String key) {
        return store.size(key);
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
