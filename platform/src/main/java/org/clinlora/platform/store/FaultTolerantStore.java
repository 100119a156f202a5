package org.clinlora.platform.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.clinlora.platform.store.ObjectStore.StoreException;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;

/**
 * The bucket as every service uses it: the one {@link BlobStore} bean a service injects (by that interface). Its calls
 * are retried with backoff behind a circuit breaker ({@link RetriedObjectStore}), and every failure reaches callers as
 * a {@link StoreException} — an open circuit too — so that one kind of exception means "the store cannot serve now"
 * (503 with Retry-After at the REST edge, a job left for the next attempt). The plain {@link ObjectStore} stays for the
 * readiness check, which must see failures as they are.
 */
@ApplicationScoped
@Typed(BlobStore.class)
public class FaultTolerantStore implements BlobStore {
    private final BlobStore store;

    public FaultTolerantStore(RetriedObjectStore store) {
        this.store = store;
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
