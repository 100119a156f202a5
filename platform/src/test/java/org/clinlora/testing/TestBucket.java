package org.clinlora.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.clinlora.platform.store.S3Settings;
import org.clinlora.platform.store.ScratchBucket;

/**
 * The bucket of the test scope now open in this JVM — a Quarkus application boot ({@link LocalInfraResource}), a test
 * class ({@link LocalS3}), a chaos run — named {@code test-<module>-<run>-<4 hex>}, made empty when the scope opens and
 * removed with everything in it when it closes, so that no test writes into the user's own bucket ({@code clinlora},
 * the one {@code ./clinlora demo} and the console use).
 *
 * <p>Scopes nest: a plain test class that runs while a Quarkus application is up (it stays up between test classes)
 * opens a bucket over the application's and closes it again, and the application's is the current one after it. The
 * state lives in system properties, not in static fields: a Quarkus test sees this class through the application's
 * class loader and its test resources through another, and both must agree on the one bucket. Only a bucket this JVM
 * made, with this run's id in its name, is ever removed.
 */
public final class TestBucket {
    /** The open scopes' buckets, innermost last, comma-separated. */
    private static final String OPEN = "clinlora.test.buckets-open";

    private static final String MADE = "clinlora.test.buckets-made";
    private static final String RUN_PROPERTY = "clinlora.test.run";

    private TestBucket() {}

    /** This test JVM's run id (8 hex digits), part of every bucket name it makes. */
    public static String run() {
        synchronized (System.getProperties()) {
            String run = System.getProperty(RUN_PROPERTY);
            if (run == null) {
                run = UUID.randomUUID().toString().substring(0, 8);
                System.setProperty(RUN_PROPERTY, run);
            }
            return run;
        }
    }

    /**
     * A new empty bucket for a scope that opens now, current until {@link #close} (the local S3Proxy must be up). The
     * first one of the build also takes the snapshot of the user's bucket that the guard at the end compares with
     * ({@link UserBucket}).
     */
    public static String open() {
        synchronized (System.getProperties()) {
            UserBucket.snapshotOnce();
            String name = "test-" + module() + "-" + run() + "-"
                    + UUID.randomUUID().toString().substring(0, 4);
            ScratchBucket.create(LocalInfra.s3Settings(LocalInfra.USER_BUCKET), name);
            System.setProperty(MADE, System.getProperty(MADE, "") + name + ",");
            List<String> open = new ArrayList<>(openBuckets());
            open.add(name);
            System.setProperty(OPEN, String.join(",", open));
            return name;
        }
    }

    /**
     * The current bucket when a scope is open, else a new one: for the several test resources of one Quarkus boot,
     * which start one after the other and must all use the same bucket.
     */
    public static String openShared() {
        synchronized (System.getProperties()) {
            List<String> open = openBuckets();
            return open.isEmpty() ? open() : open.get(open.size() - 1);
        }
    }

    /** The innermost open scope's bucket; an error when none is open (a test would otherwise use the user's). */
    public static String current() {
        List<String> open = openBuckets();
        if (open.isEmpty())
            throw new IllegalStateException("no test bucket is open: use LocalS3, LocalInfraResource, LocalServices"
                    + " or TestBucket.open() before touching the object store");
        return open.get(open.size() - 1);
    }

    /**
     * Closes the scope of bucket {@code name}: removes every object, then the bucket; nothing when it is closed already
     * (the resources of one boot each close it). A store that cannot be reached leaves the bucket behind with a
     * warning: it is a test bucket, never the user's.
     */
    public static void close(String name) {
        synchronized (System.getProperties()) {
            List<String> open = new ArrayList<>(openBuckets());
            if (!open.remove(name)) return;
            System.setProperty(OPEN, String.join(",", open));
        }
        if (!madeHere(name)) throw new IllegalStateException("not removing bucket " + name + ": not made by this run");
        try {
            ScratchBucket.remove(LocalInfra.s3Settings(name));
        } catch (RuntimeException e) {
            System.err.println("test bucket " + name + " left behind: " + e.getMessage());
        }
    }

    private static List<String> openBuckets() {
        String v = System.getProperty(OPEN, "");
        return v.isEmpty() ? List.of() : List.of(v.split(","));
    }

    /** True for a name this JVM made, with this run's id in it — the only buckets {@link #close} removes. */
    static boolean madeHere(String name) {
        return name.startsWith("test-")
                && name.contains("-" + run() + "-")
                && !name.equals(LocalInfra.USER_BUCKET)
                && ("," + System.getProperty(MADE, "")).contains("," + name + ",");
    }

    /** The Maven module the tests run in (surefire's working directory), as a bucket-name part of 20 characters. */
    static String module() {
        Path dir = Path.of("").toAbsolutePath().getFileName();
        String m = (dir == null ? "tests" : dir.toString())
                .toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9]+", "-")
                .replaceAll("^-|-$", "");
        if (m.isEmpty()) m = "tests";
        return m.length() > 20 ? m.substring(0, 20).replaceAll("-$", "") : m;
    }

    /** The open scope's bucket at the local S3Proxy. */
    public static S3Settings settings() {
        return LocalInfra.s3Settings(current());
    }
}
