package org.clinlora.core.store;

import java.util.Map;

/** Where the object store is. Defaults are the local S3Proxy of infra/ (see docs/ARCHITECTURE.md). */
public record S3Settings(String endpoint, String accessKey, String secretKey, String region, String bucket) {

    public S3Settings {
        if (endpoint == null || endpoint.isBlank()) throw new IllegalArgumentException("S3 endpoint is required");
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) throw new IllegalArgumentException("bad S3 bucket name: " + bucket);
    }

    /** From CLINLORA_S3_* environment variables, falling back to the local defaults. */
    public static S3Settings fromEnv(Map<String, String> env) {
        String port = env.getOrDefault("CLINLORA_S3_PORT", "9000");
        return new S3Settings(
                env.getOrDefault("CLINLORA_S3_ENDPOINT", "http://127.0.0.1:" + port),
                env.getOrDefault("CLINLORA_S3_ACCESS_KEY", "minioadmin"),
                env.getOrDefault("CLINLORA_S3_SECRET_KEY", "minioadmin"),
                env.getOrDefault("CLINLORA_S3_REGION", "us-east-1"),
                env.getOrDefault("CLINLORA_S3_BUCKET", "clinlora"));
    }
}
