package org.clinlora.platform.store;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.Http;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.MinioException;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * The object store through the MinIO client (MinIO in Kubernetes, S3Proxy locally): plain and conditional writes, reads
 * and listings on one bucket. The create-only write ({@code If-None-Match: *}) is what makes version numbers and alias
 * moves race-free without a database. (Replace-if-ETag-matches is deliberately not offered: S3Proxy 4.1.0 checks
 * If-Match and then writes, so two concurrent replacements can both succeed.)
 */
public final class ObjectStore implements BlobStore {

    /** A transient or unexpected store failure (network, 5xx); callers may retry. */
    public static final class StoreException extends RuntimeException {
        public StoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final MinioClient client;
    private final String bucket;

    public ObjectStore(S3Settings s) {
        this.client = S3Clients.minio(s);
        this.bucket = s.bucket();
    }

    public boolean bucketExists() {
        return call(
                () -> client.bucketExists(
                        BucketExistsArgs.builder().bucket(bucket).build()),
                "bucket " + bucket);
    }

    /** Makes the bucket (a restore into a new cluster's store); the caller checked it does not exist. */
    public void createBucket() {
        call(
                () -> {
                    client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
                    return null;
                },
                "bucket " + bucket);
    }

    public void put(String key, byte[] data, Map<String, String> userMetadata) {
        call(
                () -> client.putObject(args(key, new ByteArrayInputStream(data), data.length, userMetadata, Map.of())),
                key);
    }

    public void put(String key, Path file, Map<String, String> userMetadata) {
        try (InputStream in = Files.newInputStream(file)) {
            long size = Files.size(file);
            call(() -> client.putObject(args(key, in, size, userMetadata, Map.of())), key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates {@code key} only if it does not exist; false when another writer got there first. */
    public boolean putIfAbsent(String key, byte[] data) {
        return conditional(key, data, Map.of("If-None-Match", "*"));
    }

    private boolean conditional(String key, byte[] data, Map<String, String> headers) {
        try {
            client.putObject(args(key, new ByteArrayInputStream(data), data.length, Map.of(), headers));
            return true;
        } catch (ErrorResponseException e) {
            int code = e.response() == null ? 0 : e.response().code();
            if (code == 412
                    || code == 409
                    || "PreconditionFailed".equals(e.errorResponse().code())) return false;
            throw new StoreException("conditional write of " + key + " failed: " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            throw unreachable("conditional write of " + key, e);
        } catch (MinioException e) {
            throw new StoreException("conditional write of " + key + " failed: " + e.getMessage(), e);
        }
    }

    private PutObjectArgs args(
            String key, InputStream in, long size, Map<String, String> meta, Map<String, String> headers) {
        return PutObjectArgs.builder().bucket(bucket).object(key).stream(in, size, null)
                .userMetadata(meta)
                .headers(headers)
                .build();
    }

    /** The object's bytes, or empty when it does not exist. */
    public Optional<byte[]> getBytes(String key) {
        try (InputStream in = client.getObject(
                GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return Optional.of(in.readAllBytes());
        } catch (ErrorResponseException e) {
            if (isNotFound(e)) return Optional.empty();
            throw new StoreException("get " + key + " failed: " + e.getMessage(), e);
        } catch (MinioException e) {
            throw new StoreException("get " + key + " failed: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new StoreException("get " + key + " failed: " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            throw unreachable("get " + key, e);
        }
    }

    /** The object's size in bytes, or empty when it does not exist. */
    public Optional<Long> size(String key) {
        try {
            return Optional.of(client.statObject(
                            StatObjectArgs.builder().bucket(bucket).object(key).build())
                    .size());
        } catch (ErrorResponseException e) {
            if (isNotFound(e)) return Optional.empty();
            throw new StoreException("stat " + key + " failed: " + e.getMessage(), e);
        } catch (MinioException e) {
            throw new StoreException("stat " + key + " failed: " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            throw unreachable("stat " + key, e);
        }
    }

    /** A stream of the object; the caller closes it. */
    public InputStream open(String key) {
        return call(
                () -> client.getObject(
                        GetObjectArgs.builder().bucket(bucket).object(key).build()),
                key);
    }

    /** Keys under {@code prefix}, recursively, in lexicographic order. */
    public List<String> list(String prefix) {
        return listing(prefix, true);
    }

    /** The immediate "sub-directories" of {@code prefix} (common prefixes with a '/' delimiter), each ending in '/'. */
    public List<String> listPrefixes(String prefix) {
        return listing(prefix, false).stream().filter(k -> k.endsWith("/")).toList();
    }

    @Override
    public List<Listed> listSized(String prefix) {
        return items(prefix, true).stream()
                .map(i -> new Listed(i.objectName(), i.size(), i.etag() == null ? "" : i.etag()))
                .toList();
    }

    private List<String> listing(String prefix, boolean recursive) {
        return items(prefix, recursive).stream().map(Item::objectName).toList();
    }

    private List<Item> items(String prefix, boolean recursive) {
        List<Item> out = new ArrayList<>();
        try {
            for (Result<Item> r : client.listObjects(ListObjectsArgs.builder()
                    .bucket(bucket)
                    .prefix(prefix)
                    .recursive(recursive)
                    .build())) {
                out.add(call(r::get, prefix));
            }
        } catch (IllegalStateException e) {
            throw unreachable("list " + prefix, e);
        }
        return out;
    }

    public void delete(String key) {
        call(
                () -> {
                    client.removeObject(RemoveObjectArgs.builder()
                            .bucket(bucket)
                            .object(key)
                            .build());
                    return null;
                },
                key);
    }

    /** A time-limited GET URL that needs no credentials. */
    public String presignedGet(String key, int seconds) {
        return call(
                () -> client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                        .method(Http.Method.GET)
                        .bucket(bucket)
                        .object(key)
                        .expiry(seconds, TimeUnit.SECONDS)
                        .build()),
                key);
    }

    private static boolean isNotFound(ErrorResponseException e) {
        String code = e.errorResponse() == null ? "" : e.errorResponse().code();
        return code.equals("NoSuchKey")
                || code.equals("NoSuchObject")
                || (e.response() != null && e.response().code() == 404);
    }

    private interface StoreCall<T> {
        T run() throws MinioException, IOException;
    }

    private static <T> T call(StoreCall<T> c, String what) {
        try {
            return c.run();
        } catch (MinioException | IOException e) {
            throw new StoreException("object store: " + what + ": " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            throw unreachable(what, e);
        }
    }

    /**
     * The MinIO client reports a failure that is neither an S3 error nor an IOException it knows (a refused or reset
     * connection inside its async HTTP layer) as an IllegalStateException: the store is unreachable, which callers must
     * see as a StoreException (retried, then 503), never as an internal error.
     */
    private static StoreException unreachable(String what, IllegalStateException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        String detail = cause.getClass().getSimpleName();
        // A TLS failure says what is wrong (an untrusted certificate, a name it does not carry); it holds no key.
        if (cause instanceof GeneralSecurityException || cause instanceof SSLException)
            detail += ": " + cause.getMessage();
        return new StoreException("object store unreachable: " + what + " (" + detail + ")", e);
    }
}
