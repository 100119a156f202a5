package org.clinlora.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.clinlora.platform.store.S3Settings;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real local Kafka broker and S3Proxy for integration tests, started through the project's own
 * {@code infra/infra.sh} (the same script as {@code ./clinlora infra up}), always in its TLS mode
 * ({@code CLINLORA_INFRA_TLS=1}: Kafka's SASL_SSL listener and S3Proxy's https endpoint beside the plain ones, see
 * {@link #tls()}). A component already running is reused and left running; one this test run started is stopped when
 * the run ends.
 */
public final class LocalInfra {
    public static final int KAFKA_PORT = intEnv("CLINLORA_KAFKA_PORT", 9092);
    /** The broker's SASL_PLAINTEXT listener (SCRAM-SHA-512; users are added with the Admin API). */
    public static final int KAFKA_SASL_PORT = intEnv("CLINLORA_KAFKA_SASL_PORT", 9094);

    /** The broker's SASL_SSL listener (SCRAM-SHA-512 over TLS, as the k8s overlays use Kafka): infra's TLS mode. */
    public static final int KAFKA_SSL_PORT = intEnv("CLINLORA_KAFKA_SSL_PORT", KAFKA_SASL_PORT + 1);

    public static final int S3_PORT = intEnv("CLINLORA_S3_PORT", 9000);
    /** S3Proxy's https endpoint (infra's TLS mode): the same buckets as {@link #S3_ENDPOINT}, over TLS. */
    public static final int S3_TLS_PORT = intEnv("CLINLORA_S3_TLS_PORT", S3_PORT + 443);

    public static final String S3_TLS_ENDPOINT = "https://127.0.0.1:" + S3_TLS_PORT;
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

    /** What infra's TLS mode made under {@code <run dir>/tls}: laid out as Strimzi's cluster CA Secret. */
    public record Tls(Path dir) {
        /** The CA certificate (PEM): what CLINLORA_S3_CA_FILE names. */
        public Path caPem() {
            return dir.resolve("ca.crt");
        }

        /** The CA as a PKCS12 truststore: what CLINLORA_KAFKA_TRUSTSTORE_LOCATION names. */
        public Path truststore() {
            return dir.resolve("ca.p12");
        }

        public String truststorePassword() {
            try {
                return Files.readString(dir.resolve("ca.password")).trim();
            } catch (IOException e) {
                throw new IllegalStateException("infra's TLS material is incomplete: " + e.getMessage(), e);
            }
        }
    }

    private static Tls tls;

    /**
     * Infra's TLS material, once Kafka's SASL_SSL listener and S3Proxy's https endpoint answer. Kafka or S3Proxy
     * started outside the tests without {@code CLINLORA_INFRA_TLS=1} has neither: that fails here, saying what to do.
     */
    public static synchronized Tls tls() {
        if (tls != null) return tls; // checked once: a probe is a TLS handshake the broker logs as failed
        for (var c : List.of(
                Map.entry("Kafka's SASL_SSL listener", KAFKA_SSL_PORT),
                Map.entry("S3Proxy's https endpoint", S3_TLS_PORT)))
            if (!portOpen(c.getValue()))
                throw new IllegalStateException(c.getKey() + " does not answer on 127.0.0.1:" + c.getValue()
                        + ": the running infra was started without CLINLORA_INFRA_TLS=1 (the tests start it with it);"
                        + " stop it (./clinlora infra down) and rerun, or start it with CLINLORA_INFRA_TLS=1");
        tls = new Tls(runDir().resolve("tls"));
        return tls;
    }

    /** infra.sh's run directory: CLINLORA_RUN_DIR, else {@code .run} at the repository root. */
    public static Path runDir() {
        String dir = System.getenv("CLINLORA_RUN_DIR");
        return dir == null || dir.isBlank() ? repoRoot().resolve(".run") : Path.of(dir);
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
            ProcessBuilder pb = new ProcessBuilder(
                            root.resolve("infra/infra.sh").toString(), action, component)
                    .directory(root.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            // The overlays' transport (TLS + SCRAM, https) is always there to test against, beside the plain ports.
            pb.environment().put("CLINLORA_INFRA_TLS", "1");
            Process p = pb.start();
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
