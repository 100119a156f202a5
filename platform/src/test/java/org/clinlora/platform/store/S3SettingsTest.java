package org.clinlora.platform.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class S3SettingsTest {
    @Test
    void environmentVariablesOverrideTheLocalDefaultsAndThePortMovesTheEndpoint() {
        assertEquals(
                new S3Settings("http://127.0.0.1:9000", "minioadmin", "minioadmin", "us-east-1", "clinlora"),
                S3Settings.fromEnv(Map.of()));
        assertEquals(
                "http://127.0.0.1:9100",
                S3Settings.fromEnv(Map.of("CLINLORA_S3_PORT", "9100")).endpoint());
        S3Settings s = S3Settings.fromEnv(Map.of(
                "CLINLORA_S3_ENDPOINT",
                "http://minio:9000",
                "CLINLORA_S3_PORT",
                "9100",
                "CLINLORA_S3_ACCESS_KEY",
                "a",
                "CLINLORA_S3_SECRET_KEY",
                "b",
                "CLINLORA_S3_BUCKET",
                "models"));
        assertEquals(new S3Settings("http://minio:9000", "a", "b", "us-east-1", "models"), s);
    }
}
