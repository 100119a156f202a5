package org.clinlora.testing;

import io.minio.BucketExistsArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.messages.Item;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the user's own bucket ({@link LocalInfra#USER_BUCKET}) holds — every key with its ETag and size, or
 * {@code absent} — taken once per build before the first test bucket is made, and compared by the guard at the end of
 * the build ({@code chaos-tests}' {@code UserBucketUnchangedIT}). The snapshot is a file under the repository's
 * {@code target/}, tagged with the build it belongs to ({@code clinlora.build}, which Maven sets to the build's start
 * time for every module's tests), so each module's test JVM can tell whether the build already took it.
 */
public final class UserBucket {
    private static final String BUILD_PROPERTY = "clinlora.build";

    private UserBucket() {}

    /** The build this JVM's tests belong to: Maven's build start time, else this JVM alone. */
    public static String build() {
        String b = System.getProperty(BUILD_PROPERTY);
        return b == null || b.isBlank() ? "jvm-" + TestBucket.run() : b;
    }

    /** Where the snapshot of this build is kept. */
    public static Path snapshotFile() {
        return LocalInfra.repoRoot().resolve("target/test-buckets/user-bucket-before.txt");
    }

    /** One line per object ({@code key etag size}, in key order), or the single line {@code absent}. */
    public static List<String> listing() {
        MinioClient s3 = MinioClient.builder()
                .endpoint(LocalInfra.S3_ENDPOINT)
                .credentials(LocalInfra.S3_ACCESS_KEY, LocalInfra.S3_SECRET_KEY)
                .region(LocalInfra.S3_REGION)
                .build();
        String bucket = LocalInfra.USER_BUCKET;
        try {
            if (!s3.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) return List.of("absent");
            List<String> lines = new ArrayList<>();
            for (Result<Item> r : s3.listObjects(
                    ListObjectsArgs.builder().bucket(bucket).recursive(true).build())) {
                Item i = r.get();
                lines.add(i.objectName() + " " + i.etag() + " " + i.size());
            }
            return lines;
        } catch (Exception e) {
            throw new IllegalStateException("cannot list bucket " + bucket + " at " + LocalInfra.S3_ENDPOINT, e);
        }
    }

    /** Takes this build's snapshot unless a test JVM of the same build took it already. */
    static void snapshotOnce() {
        if (snapshot().isPresent()) return;
        List<String> lines = new ArrayList<>();
        lines.add("build " + build());
        lines.addAll(listing());
        Path file = snapshotFile();
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "user-bucket", ".tmp");
            Files.write(tmp, lines);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** This build's snapshot (the listing without its build line), or empty when no test of this build took one. */
    public static Optional<List<String>> snapshot() {
        Path file = snapshotFile();
        try {
            if (!Files.isRegularFile(file)) return Optional.empty();
            List<String> lines = Files.readAllLines(file);
            if (lines.isEmpty() || !lines.get(0).equals("build " + build())) return Optional.empty();
            return Optional.of(List.copyOf(lines.subList(1, lines.size())));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** What was added, removed or rewritten between two listings, key by key (the first 30). */
    public static List<String> differences(List<String> before, List<String> after) {
        Map<String, String> b = byKey(before), a = byKey(after);
        List<String> out = new ArrayList<>();
        a.forEach((k, v) -> {
            if (!b.containsKey(k)) out.add("added " + k);
            else if (!b.get(k).equals(v)) out.add("rewritten " + k + " (" + b.get(k) + " → " + v + ")");
        });
        b.keySet().stream().filter(k -> !a.containsKey(k)).forEach(k -> out.add("removed " + k));
        return out.size() > 30 ? List.copyOf(out.subList(0, 30)) : out;
    }

    /** A listing line is {@code key etag size}, split from the end (a key may hold spaces); the bucket is a key too. */
    private static Map<String, String> byKey(List<String> listing) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("(the bucket itself)", listing.equals(List.of("absent")) ? "absent" : "present");
        for (String line : listing) {
            if (line.equals("absent")) continue;
            int size = line.lastIndexOf(' '), etag = line.lastIndexOf(' ', size - 1);
            out.put(line.substring(0, etag), line.substring(etag + 1));
        }
        return out;
    }
}
