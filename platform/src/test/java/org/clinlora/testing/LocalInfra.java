package org.clinlora.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.clinlora.platform.store.S3Settings;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real local Kafka broker and S3Proxy for integration tests, started through the project's own
 * {@code infra/infra.sh} (the same script as {@code ./clinlora infra up}). A component already running is reused and
 * left running; one this test run started is stopped when the run ends.
 */
public final class LocalInfra {
    public static final int KAFKA_PORT = intEnv("CLINLORA_KAFKA_PORT", 9092);
    /** The broker's SASL_PLAINTEXT listener (SCRAM-SHA-512; users are added with the Admin API). */
    public static final int KAFKA_SASL_PORT = intEnv("CLINLORA_KAFKA_SASL_PORT", 9094);

    public static final int S3_PORT = intEnv("CLINLORA_S3_PORT", 9000);
    public static final String KAFKA_BOOTSTRAP = "127.0.0.1:" + KAFKA_PORT;
    public static final String S3_ENDPOINT = "http://127.0.0.1:" + S3_PORT;
    public static final String S3_ACCESS_KEY = env("CLINLORA_S3_ACCESS_KEY", "minioadmin");
    public static final String S3_SECRET_KEY = env("CLINLORA_S3_SECRET_KEY", "minioadmin");
    public static final String S3_REGION = "us-east-1";
    /**
     * The user's own bucket: the one {@code ./clinlora demo}, the services and the console use. Tests never write to it
     * (each has a {@link TestBucket}); the guard at the end of the build checks that it is as it was.
     */
    public static final String USER_BUCKET = env("CLINLORA_S3_BUCKET", "clinlora");

    private LocalInfra() {}

    /**
     * The local S3Proxy's address and credentials with the open test scope's bucket ({@link TestBucket#current()}), for
     * tests that use the core object-store client directly.
     */
    public static S3Settings s3Settings() {
        return s3Settings(TestBucket.current());
    }

    /** The local S3Proxy's address and credentials with {@code bucket}. */
    public static S3Settings s3Settings(String bucket) {
        return new S3Settings(S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION, bucket);
    }

    /** Starts Kafka unless it is already up. */
    public static void kafka(ExtensionContext context) {
        ensure("kafka", KAFKA_PORT, context);
    }

    /** Starts S3Proxy unless it is already up. */
    public static void s3(ExtensionContext context) {
        ensure("s3", S3_PORT, context);
    }

    /** Starts a component unless its port already answers; true when this call started it. */
    public static synchronized boolean startIfDown(String component, int port) {
        if (portOpen(port)) return false;
        run("up", component);
        return true;
    }

    public static void stop(String component) {
        run("down", component);
    }

    private static synchronized void ensure(String component, int port, ExtensionContext context) {
        if (!startIfDown(component, port)) return;
        ExtensionContext.Store root = context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL);
        root.getOrComputeIfAbsent("clinlora-infra-" + component, k ->
                (ExtensionContext.Store.CloseableResource) () -> run("down", component));
    }

    private static void run(String action, String component) {
        Path root = repoRoot();
        Path log = root.resolve(".run/logs/tests-infra-" + component + ".log");
        try {
            Files.createDirectories(log.getParent());
            Process p = new ProcessBuilder(root.resolve("infra/infra.sh").toString(), action, component)
                    .directory(root.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("infra.sh " + action + " " + component + " timed out; see " + log);
            }
            if (p.exitValue() != 0)
                throw new IllegalStateException("infra.sh " + action + " " + component + " failed; see " + log);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run infra.sh: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The repository root: the clinlora.root property Maven sets, else the first parent holding infra/infra.sh. */
    public static Path repoRoot() {
        String prop = System.getProperty("clinlora.root");
        if (prop != null && Files.isRegularFile(Path.of(prop, "infra/infra.sh"))) return Path.of(prop);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("infra/infra.sh"))) return p;
        }
        throw new IllegalStateException("cannot find the repository root (infra/infra.sh) from "
                + Path.of("").toAbsolutePath());
    }

    public static boolean portOpen(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v;
    }

    private static int intEnv(String name, int dflt) {
        return Integer.parseInt(env(name, String.valueOf(dflt)));
    }
}
