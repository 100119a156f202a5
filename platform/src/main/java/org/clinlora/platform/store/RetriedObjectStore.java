package org.clinlora.platform.store;

import io.smallrye.faulttolerance.api.ExponentialBackoff;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.clinlora.platform.store.ObjectStore.StoreException;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;

/**
 * The S3 calls under SmallRye Fault Tolerance's interceptors: each retried with exponential backoff when the store
 * fails ({@link StoreException}: unreachable, 5xx; a lost conditional write is an answer and is not retried), and a
 * circuit breaker per operation that opens when most of the last calls failed, so that while the store is down for long
 * a request fails at once instead of after its retries; after the delay one call tries again. Only
 * {@link FaultTolerantStore} uses it: an open circuit surfaces outside the intercepted call, where that bean turns it
 * into a StoreException.
 */
@ApplicationScoped
@Typed(RetriedObjectStore.class) // services inject BlobStore, which is FaultTolerantStore
@Retry(maxRetries = 3, delay = 100, jitter = 50, retryOn = StoreException.class)
@ExponentialBackoff(maxDelay = 2, maxDelayUnit = ChronoUnit.SECONDS)
@CircuitBreaker(
        requestVolumeThreshold = 8,
        failureRatio = 0.75,
        delay = 3,
        delayUnit = ChronoUnit.SECONDS,
        failOn = StoreException.class)
public class RetriedObjectStore implements BlobStore {
    private final ObjectStore store;

    public RetriedObjectStore(ObjectStore store) {
        this.store = store;
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

    @Override
    public Optional<byte[]> getBytes(String key) {
        return store.getBytes(key);
    }

    @Override
    public Optional<Long> size(String key) {
        return store.size(key);
    }

    @Override
    public InputStream open(String key) {
        return store.open(key);
    }

    @Override
    public List<String> list(String prefix) {
        return store.list(prefix);
    }

    @Override
    public List<String> listPrefixes(String prefix) {
        return store.listPrefixes(prefix);
    }

    @Override
    public void delete(String key) {
        store.delete(key);
    }

    @Override
    public String presignedGet(String key, int seconds) {
        return store.presignedGet(key, seconds);
    }
}
