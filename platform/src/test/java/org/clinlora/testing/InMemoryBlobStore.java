package org.clinlora.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ObjectStore;

/**
 * An object store in memory, for unit tests only (integration tests use S3Proxy): the same create-only semantics and
 * listings as S3. {@link #failNext(int)} makes the next calls fail the way an unreachable store does.
 */
public final class InMemoryBlobStore implements BlobStore {
    private final TreeMap<String, byte[]> objects = new TreeMap<>();
    private final AtomicInteger failures = new AtomicInteger();

    /** The next {@code n} calls throw {@link ObjectStore.StoreException}. */
    public void failNext(int n) {
        failures.set(n);
    }

    public synchronized Map<String, byte[]> snapshot() {
        return new TreeMap<>(objects);
    }

    private void maybeFail(String key) {
        if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new ObjectStore.StoreException(
                    "object store: " + key + ": simulated outage", new IOException("simulated"));
        }
    }

    @Override
    public synchronized void put(String key, byte[] data, Map<String, String> userMetadata) {
        maybeFail(key);
        objects.put(key, data.clone());
    }

    @Override
    public void put(String key, Path file, Map<String, String> userMetadata) {
        try {
            put(key, Files.readAllBytes(file), userMetadata);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized boolean putIfAbsent(String key, byte[] data) {
        maybeFail(key);
        return objects.putIfAbsent(key, data.clone()) == null;
    }

    @Override
    public synchronized Optional<byte[]> getBytes(String key) {
        maybeFail(key);
        return Optional.ofNullable(objects.get(key)).map(byte[]::clone);
    }

    @Override
    public synchronized Optional<Long> size(String key) {
        maybeFail(key);
        return Optional.ofNullable(objects.get(key)).map(b -> (long) b.length);
    }

    @Override
    public synchronized InputStream open(String key) {
        maybeFail(key);
        byte[] b = objects.get(key);
        if (b == null)
            throw new ObjectStore.StoreException(
                    "object store: " + key + ": NoSuchKey", new IOException("no such key"));
        return new ByteArrayInputStream(b);
    }

    @Override
    public synchronized List<String> list(String prefix) {
        maybeFail(prefix);
        return new ArrayList<>(
                objects.subMap(prefix, prefix + Character.MAX_VALUE).keySet());
    }

    /** With an entity tag as S3 gives one: a digest of the bytes, so a rewrite of the same size has another. */
    @Override
    public synchronized List<Listed> listSized(String prefix) {
        maybeFail(prefix);
        List<Listed> out = new ArrayList<>();
        objects.subMap(prefix, prefix + Character.MAX_VALUE)
                .forEach((k, v) -> out.add(new Listed(k, v.length, Sha256.of(v))));
        return out;
    }

    @Override
    public synchronized List<String> listPrefixes(String prefix) {
        maybeFail(prefix);
        TreeSet<String> out = new TreeSet<>();
        for (String k : objects.subMap(prefix, prefix + Character.MAX_VALUE).keySet()) {
            int slash = k.indexOf('/', prefix.length());
            if (slash >= 0) out.add(k.substring(0, slash + 1));
        }
        return new ArrayList<>(out);
    }

    @Override
    public synchronized void delete(String key) {
        maybeFail(key);
        objects.remove(key);
    }

    @Override
    public String presignedGet(String key, int seconds) {
        return "memory://" + key + "?expires=" + seconds;
    }
}
