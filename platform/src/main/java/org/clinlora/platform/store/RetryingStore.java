package org.clinlora.platform.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.clinlora.platform.store.ObjectStore.StoreException;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;

/**
 * The bucket as every service uses it: the one {@link BlobStore} bean a service injects. In a service its calls go
 * through {@link FaultTolerantStore} (retries with backoff, a circuit breaker); every failure reaches callers as a
 * {@link StoreException} — an open circuit too — so that one kind of exception means "the store cannot serve now"
 * (503 with Retry-After at the REST edge, a job left for the next attempt). The plain {@link ObjectStore} stays for
 * the readiness check, which must see failures as they are.
 */
@ApplicationScoped
public class RetryingStore implements BlobStore {
    private final BlobStore store;
    private final ModelStore models;

    /** Over the process's fault-tolerant bucket; unit tests give an in-memory store. */
    @Inject
    public RetryingStore(FaultTolerantStore store) {
        this((BlobStore) store);
    }

    public RetryingStore(BlobStore store) {
        this.store = store;
        this.models = new ModelStore(this);
    }

    /** The store under this one, for tests that arrange the bucket behind the service's back. */
    public BlobStore raw() {
        return store;
    }

    public ModelStore models() {
        return models;
    }

    @Override
    public void put(String key, byte[] data, Map<String, String> meta) {
        guarded(() -> {
            store.put(key, data, meta);
            return null;
        });
    }

    @Override
    public void put(String key, Path file, Map<String, String> meta) {
        guarded(() -> {
            store.put(key, file, meta);
            return null;
        });
    }

    @Override
    public boolean putIfAbsent(String key, byte[] data) {
        return guarded(() -> store.putIfAbsent(key, data));
    }

    @Override
    public Optional<byte[]> getBytes(String key) {
        return guarded(() -> store.getBytes(key));
    }

    @Override
    public Optional<Long> size(String key) {
        return guarded(() -> store.size(key));
    }

    @Override
    public InputStream open(String key) {
        return guarded(() -> store.open(key));
    }

    @Override
    public List<String> list(String prefix) {
        return guarded(() -> store.list(prefix));
    }

    @Override
    public List<String> listPrefixes(String prefix) {
        return guarded(() -> store.listPrefixes(prefix));
    }

    @Override
    public void delete(String key) {
        guarded(() -> {
            store.delete(key);
            return null;
        });
    }

    @Override
    public String presignedGet(String key, int seconds) {
        return guarded(() -> store.presignedGet(key, seconds));
    }

    private static <T> T guarded(Supplier<T> call) {
        try {
            return call.get();
        } catch (CircuitBreakerOpenException e) {
            throw new StoreException("object store: failing fast while it is down (circuit open)", e);
        }
    }
}
