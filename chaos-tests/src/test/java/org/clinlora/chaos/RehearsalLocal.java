package org.clinlora.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.clinlora.platform.auth.Jwts;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.ScramUsers;
import org.clinlora.testing.TestAuth;

/**
 * The local stand-ins of what a cluster gives a pod and the render does not hold, each an explicit table: Secrets
 * (created by the operator: the object-store credentials become the local S3Proxy's, a service's token Secret a token
 * minted for that service by the test issuer, MinIO's CA infra's throwaway one; created by Strimzi: a service's
 * KafkaUser a SCRAM user of the local broker, the cluster CA infra's), ConfigMaps made outside the render (the identity
 * provider's public key), downward-API fields, variables read by the runtime rather than by the service's
 * configuration, addresses outside the namespace that are cluster prerequisites, and what the container image adds
 * (environment, JVM options).
 */
final class RehearsalLocal {
    private RehearsalLocal() {}

    /**
     * A Secret the deploy steps (or an operator) create: its name (a pattern; group 1 is the service where it has one)
     * and its keys' values (bytes: a truststore is binary).
     */
    record SecretStandIn(Pattern name, Map<String, Function<Matcher, byte[]>> keys, String localValue) {}

    static final List<SecretStandIn> SECRETS = List.of(
            s3Secret("clinlora-minio-root", "root-user", "root-password"),
            s3Secret("clinlora-s3-credentials", "access-key", "secret-key"),
            s3Secret("clinlora-s3-([a-z0-9-]+)", "access-key", "secret-key"),
            new SecretStandIn(
                    Pattern.compile("clinlora-([a-z0-9-]+)-token"),
                    Map.of("token", text(m -> serviceToken(m.group(1)))),
                    "a token minted for <svc> with its service roles by the test issuer (TestAuth, the CLI's issuer)"),
            new SecretStandIn(
                    Pattern.compile("clinlora-minio-tls"),
                    Map.of("ca.crt", m -> tlsFile("ca.crt"), "tls.crt", m -> tlsFile("server.crt")),
                    "infra's throwaway CA and S3Proxy's certificate (CLINLORA_INFRA_TLS=1; the key stays in infra)"),
            new SecretStandIn(
                    Pattern.compile("clinlora-kafka-cluster-ca-cert"),
                    Map.of(
                            "ca.crt", m -> tlsFile("ca.crt"),
                            "ca.p12", m -> tlsFile("ca.p12"),
                            "ca.password", text(m -> LocalInfra.tls().truststorePassword())),
                    "infra's throwaway CA, which signed the local broker's SASL_SSL certificate"),
            new SecretStandIn(
                    Pattern.compile("([a-z]+-svc)"),
                    Map.of("sasl.jaas.config", text(m -> ScramUsers.jaas(m.group(1)))),
                    "a SCRAM-SHA-512 user <svc> of the local broker (no authorizer here: the ACLs are not enforced)"));

    private static SecretStandIn s3Secret(String name, String user, String password) {
        return new SecretStandIn(
                Pattern.compile(name),
                Map.of(user, text(m -> LocalInfra.S3_ACCESS_KEY), password, text(m -> LocalInfra.S3_SECRET_KEY)),
                "the local S3Proxy's credentials (" + LocalInfra.S3_ACCESS_KEY + "; one identity: per-service "
                        + "policies are not enforced here)");
    }

    private static Function<Matcher, byte[]> text(Function<Matcher, String> f) {
        return m -> f.apply(m).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] tlsFile(String name) {
        try {
            return Files.readAllBytes(LocalInfra.tls().dir().resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String serviceToken(String service) {
        try {
            return Files.readString(TestAuth.serviceTokenFile(service)).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The value of key {@code key} of Secret {@code name} as text, or empty when no stand-in is known. */
    static Optional<String> secret(String name, String key) {
        for (SecretStandIn s : SECRETS) {
            Matcher m = s.name().matcher(name);
            if (m.matches() && s.keys().containsKey(key))
                return Optional.of(new String(s.keys().get(key).apply(m), StandardCharsets.UTF_8));
        }
        return Optional.empty();
    }

    /** All keys of a stand-in Secret (for envFrom.secretRef and secret volumes). */
    static Optional<Map<String, byte[]>> secretData(String name) {
        for (SecretStandIn s : SECRETS) {
            Matcher m = s.name().matcher(name);
            if (!m.matches()) continue;
            Map<String, byte[]> out = new LinkedHashMap<>();
            s.keys().forEach((k, f) -> out.put(k, f.apply(m)));
            return Optional.of(out);
        }
        return Optional.empty();
    }

    /** ConfigMaps the deploy steps create outside the render. */
    static Optional<Map<String, String>> externalConfigMap(String name) {
        if (!name.equals("clinlora-jwt-public-key")) return Optional.empty();
        try {
            return Optional.of(
                    Map.of("public.pem", Files.readString(TestAuth.dir().resolve(Jwts.PUBLIC_KEY))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Downward-API {@code fieldRef} paths: plain values of the one pod the rehearsal runs. */
    static Optional<String> field(String path, String pod, String namespace) {
        return Optional.ofNullable(
                switch (path) {
                    case "metadata.name" -> pod;
                    case "metadata.namespace" -> namespace;
                    case "metadata.uid" ->
                        "00000000-0000-0000-0000-" + String.format("%012d", Math.abs(pod.hashCode()));
                    case "spec.nodeName" -> "rehearsal-node";
                    case "spec.serviceAccountName" -> "default";
                    case "status.podIP", "status.hostIP" -> "127.0.0.1";
                    case "status.podIPs", "status.hostIPs" -> "127.0.0.1";
                    default -> null;
                });
    }

    /** Variables that the runtime reads, not the service's configuration: they need no config name. */
    static final Map<String, String> RUNTIME_VARIABLES = Map.ofEntries(
            Map.entry("DJL_CACHE_DIR", "DJL (where it unpacks libtorch)"),
            Map.entry("PYTORCH_LIBRARY_PATH", "DJL"),
            Map.entry("PYTORCH_VERSION", "DJL"),
            Map.entry("PYTORCH_FLAVOR", "DJL"),
            Map.entry("OMP_WAIT_POLICY", "OpenMP (libtorch)"),
            Map.entry("OMP_NUM_THREADS", "OpenMP (libtorch)"),
            Map.entry("GLIBC_TUNABLES", "glibc malloc"),
            Map.entry("MKL_CBWR", "oneMKL (libtorch's BLAS)"),
            Map.entry("MALLOC_ARENA_MAX", "glibc malloc"),
            Map.entry("LD_LIBRARY_PATH", "the dynamic linker"),
            Map.entry("JAVA_TOOL_OPTIONS", "the JVM"),
            Map.entry("JDK_JAVA_OPTIONS", "the JVM"),
            Map.entry("JAVA_OPTS", "the image's run-java.sh (JVM options)"),
            Map.entry("JAVA_OPTS_APPEND", "the image's run-java.sh (JVM options)"),
            Map.entry("JAVA_MAX_MEM_RATIO", "the image's run-java.sh"),
            Map.entry("JAVA_INITIAL_MEM_RATIO", "the image's run-java.sh"),
            Map.entry("NVIDIA_VISIBLE_DEVICES", "the NVIDIA container runtime"),
            Map.entry("NVIDIA_DRIVER_CAPABILITIES", "the NVIDIA container runtime"),
            Map.entry("CUDA_VISIBLE_DEVICES", "CUDA"),
            Map.entry("HOME", "the process"),
            Map.entry("TZ", "the process"),
            Map.entry("LANG", "the process"),
            Map.entry("HOSTNAME", "the process (the pod's name)"));

    /** Variables whose value is run through JVM options (the image's launcher). */
    static final List<String> JVM_OPTION_VARIABLES = List.of("JAVA_OPTS", "JAVA_OPTS_APPEND");

    /** Addresses outside the namespace that a cluster must provide (docs/DEPLOYING.md prerequisites). */
    static final Map<String, String> EXTERNAL_ADDRESSES = Map.of(
            "CLINLORA_OTLP_ENDPOINT",
            "the OpenTelemetry collector (a prerequisite; none here: spans go to a closed port)");

    /** Variables whose value names an identity, not an address that is dialled. */
    static boolean identity(String variable) {
        return variable.endsWith("_ISSUER") || variable.endsWith("_AUDIENCE") || variable.endsWith("_AUDIENCES");
    }

    /**
     * The image's own environment: what the root POM's {@code images} profile gives Jib
     * ({@code quarkus.jib.environment-variables.*}), under what the manifest sets.
     */
    static Map<String, String> imageEnvironment(Path root) {
        Map<String, String> out = new LinkedHashMap<>();
        try {
            Matcher m = Pattern.compile("<quarkus\\.jib\\.environment-variables\\.([A-Za-z0-9_]+)>([^<]*)</")
                    .matcher(Files.readString(root.resolve("pom.xml")));
            while (m.find()) out.put(m.group(1), m.group(2).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * The JVM options of the image's launcher (Quarkus' Jib default on the ubi9 OpenJDK runtime image: the JBoss log
     * manager; run-java.sh sizes the heap at 80 % of the container's memory limit and exits on OutOfMemoryError), with
     * the container's limits made visible to the JVM as its cgroup would make them.
     */
    static List<String> imageJvmOptions(Optional<Long> memoryLimit, Optional<Integer> cpus) {
        List<String> out = new ArrayList<>(List.of(
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                "-XX:MaxRAMPercentage=80.0",
                "-XX:+ExitOnOutOfMemoryError"));
        memoryLimit.ifPresent(b -> out.add("-XX:MaxRAM=" + b));
        cpus.ifPresent(c -> out.add("-XX:ActiveProcessorCount=" + c));
        return out;
    }
}
