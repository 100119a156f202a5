package org.clinlora.platform.store;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The object-store operations the services build on. {@link ObjectStore} is the S3 implementation (MinIO client,
 * against MinIO or S3Proxy); unit tests use an in-memory one. Failures of the store itself are
 * {@link ObjectStore.StoreException}; a lost conditional write is an answer ({@code false}), not a failure.
 */
public interface BlobStore {
    void put(String key, byte[] data, Map<String, String> userMetadata);

    void put(String key, Path file, Map<String, String> userMetadata);

    /** Create-only write ({@code If-None-Match: *}): true if this call created the object, false if it existed. */
    boolean putIfAbsent(String key, byte[] data);

    Optional<byte[]> getBytes(String key);

    Optional<Long> size(String key);

    /** A stream of the object; the caller closes it. An absent object is a StoreException, as S3 answers it. */
    InputStream open(String key);

    /** Every key under the prefix, recursively, in key order. */
    List<String> list(String prefix);

    /**
     * A key with its size and entity tag, as a listing returns them: an object rewritten with the same size has another
     * tag. The tag is empty where the store gives none.
     */
    record Listed(String key, long size, String etag) {}

    /**
     * Every key under the prefix with its size and tag, in key order. S3 lists them with the keys; this default asks
     * for each size and gives no tag (objects deleted meanwhile are left out).
     */
    default List<Listed> listSized(String prefix) {
        List<Listed> out = new ArrayList<>();
        for (String key : list(prefix)) size(key).ifPresent(n -> out.add(new Listed(key, n, "")));
        return out;
    }

    /** The "folders" directly under the prefix, each ending in {@code /}, in key order. */
    List<String> listPrefixes(String prefix);

    void delete(String key);

    String presignedGet(String key, int seconds);
}
