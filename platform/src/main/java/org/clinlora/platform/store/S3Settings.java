package org.clinlora.platform.store;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where the object store is. Defaults are the local S3Proxy of infra/ (see docs/ARCHITECTURE.md).
 *
 * @param caFile a PEM file with the CA certificate(s) that signed an https endpoint's certificate, trusted by this
 *     store's client alone ({@link S3Clients}); null for the JVM's default trust (and for http endpoints)
 */
public record S3Settings(
        String endpoint, String accessKey, String secretKey, String region, String bucket, String caFile) {

    public S3Settings {
        if (endpoint == null || endpoint.isBlank()) throw new IllegalArgumentException("S3 endpoint is required");
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"))
            throw new IllegalArgumentException("bad S3 bucket name: " + bucket);
        if (caFile != null && caFile.isBlank()) caFile = null;
        // A CA for a plain-http endpoint would never be used: the operator meant TLS and would not get it.
        if (caFile != null && !endpoint.toLowerCase(Locale.ROOT).startsWith("https://"))
            throw new IllegalArgumentException("clinlora.s3.ca-file (CLINLORA_S3_CA_FILE) is set but the endpoint "
                    + endpoint + " is not https: the store would be reached without TLS");
    }

    /** An endpoint with the JVM's default trust (no CA file of its own). */
    public S3Settings(String endpoint, String accessKey, String secretKey, String region, String bucket) {
        this(endpoint, accessKey, secretKey, region, bucket, null);
    }

    /** The same store and credentials, another bucket. */
    public S3Settings withBucket(String other) {
        return new S3Settings(endpoint, accessKey, secretKey, region, other, caFile);
    }

    /**
     * From service configuration ({@code clinlora.s3.endpoint}, {@code .access-key}, {@code .secret-key},
     * {@code .region}, {@code .bucket}, {@code .ca-file}), falling back to the local defaults.
     */
    public static S3Settings fromConfig(Function<String, Optional<String>> config) {
        return new S3Settings(
                config.apply("clinlora.s3.endpoint").orElse("http://127.0.0.1:9000"),
                config.apply("clinlora.s3.access-key").orElse("minioadmin"),
                config.apply("clinlora.s3.secret-key").orElse("minioadmin"),
                config.apply("clinlora.s3.region").orElse("us-east-1"),
                config.apply("clinlora.s3.bucket").orElse("clinlora"),
                config.apply("clinlora.s3.ca-file").orElse(null));
    }

    /**
     * From CLINLORA_S3_* environment variables (the names MicroProfile Config gives the same keys), falling back to the
     * local defaults; without CLINLORA_S3_ENDPOINT the endpoint follows CLINLORA_S3_PORT as infra/ does.
     */
    public static S3Settings fromEnv(Map<String, String> env) {
        return fromConfig(key -> {
            String v = env.get(key.toUpperCase(Locale.ROOT).replaceAll("[.-]", "_"));
            if (v == null && key.equals("clinlora.s3.endpoint") && env.containsKey("CLINLORA_S3_PORT")) {
                v = "http://127.0.0.1:" + env.get("CLINLORA_S3_PORT");
            }
            return Optional.ofNullable(v);
        });
    }
}
