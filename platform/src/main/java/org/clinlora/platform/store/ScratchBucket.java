package org.clinlora.platform.store;

import io.minio.BucketExistsArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.RemoveBucketArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.errors.MinioException;
import io.minio.messages.Item;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A bucket made for one run of something that must not write into the user's own bucket — a test, a bench — and removed
 * with everything in it when that run ends. Only a name with one of the {@link #PREFIXES} can be made or removed here,
 * so the default bucket ({@code clinlora}) or any bucket a person named can never be emptied by it.
 */
public final class ScratchBucket implements AutoCloseable {
    /** The names a scratch bucket may have: tests' and benches' own, never a bucket the services use by default. */
    public static final Set<String> PREFIXES = Set.of("test-", "bench-");

    private final S3Settings settings;
    private boolean removed;

    private ScratchBucket(S3Settings settings) {
        this.settings = settings;
    }

    /** Makes bucket {@code name} at {@code where}'s store; refused when it exists already (it is someone else's). */
    public static ScratchBucket create(S3Settings where, String name) {
        S3Settings s = where.withBucket(requireScratchName(name));
        MinioClient client = client(s);
        if (exists(client, name))
            throw new IllegalStateException("bucket " + name + " exists already; not taking it over");
        run(() -> client.makeBucket(MakeBucketArgs.builder().bucket(name).build()), "make bucket " + name);
        return new ScratchBucket(s);
    }

    public String name() {
        return settings.bucket();
    }

    /** The store's address and credentials with this bucket. */
    public S3Settings settings() {
        return settings;
    }

    /** Removes every object, then the bucket; idempotent. */
    @Override
    public void close() {
        if (removed) return;
        remove(settings);
        removed = true;
    }

    /**
     * Removes every object of {@code s.bucket()}, then the bucket; nothing when it is gone already. Refused for a name
     * without a scratch prefix: callers pass only buckets they made with {@link #create}.
     */
    public static void remove(S3Settings s) {
        String name = requireScratchName(s.bucket());
        MinioClient client = client(s);
        if (!exists(client, name)) return;
        // Listed first, removed after: deleting while a listing pages through the bucket can skip keys.
        List<String> keys = new ArrayList<>();
        for (Result<Item> r : client.listObjects(
                ListObjectsArgs.builder().bucket(name).recursive(true).build()))
            keys.add(call(r::get, "list bucket " + name).objectName());
        for (String k : keys)
            run(
                    () -> client.removeObject(
                            RemoveObjectArgs.builder().bucket(name).object(k).build()),
                    "remove " + name + "/" + k);
        run(() -> client.removeBucket(RemoveBucketArgs.builder().bucket(name).build()), "remove bucket " + name);
    }

    private static boolean exists(MinioClient client, String name) {
        return call(
                () -> client.bucketExists(
                        BucketExistsArgs.builder().bucket(name).build()),
                "bucket " + name);
    }

    /** {@code name}, when it starts with a scratch prefix; otherwise an IllegalArgumentException. */
    public static String requireScratchName(String name) {
        if (name == null || PREFIXES.stream().noneMatch(name::startsWith))
            throw new IllegalArgumentException(
                    "not a scratch bucket (names start with " + String.join(" or ", PREFIXES) + "): " + name);
        return name;
    }

    private static MinioClient client(S3Settings s) {
        return S3Clients.minio(s);
    }

    private interface Call<T> {
        T run() throws MinioException, IOException;
    }

    private interface VoidCall {
        void run() throws MinioException, IOException;
    }

    private static void run(VoidCall c, String what) {
        call(
                () -> {
                    c.run();
                    return null;
                },
                what);
    }

    private static <T> T call(Call<T> c, String what) {
        try {
            return c.run();
        } catch (MinioException | IOException e) {
            throw new ObjectStore.StoreException("object store: " + what + ": " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            // How the MinIO client reports a refused or reset connection (see ObjectStore#unreachable).
            throw new ObjectStore.StoreException("object store unreachable: " + what, e);
        }
    }
}
