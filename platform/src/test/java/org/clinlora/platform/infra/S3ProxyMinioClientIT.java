package org.clinlora.platform.infra;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalS3;
import org.clinlora.testing.TestBucket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The local S3Proxy from infra/ has the default bucket and serves the MinIO client: put, stat, get, list, delete (in
 * the test's own bucket: the default one is the user's).
 */
@ExtendWith(LocalS3.class)
class S3ProxyMinioClientIT {

    @Test
    void theDefaultBucketExistsAndObjectsArePutReadListedAndDeleted() throws Exception {
        MinioClient s3 = MinioClient.builder()
                .endpoint(LocalInfra.S3_ENDPOINT)
                .credentials(LocalInfra.S3_ACCESS_KEY, LocalInfra.S3_SECRET_KEY)
                .region(LocalInfra.S3_REGION)
                .build();
        assertTrue(
                s3.bucketExists(BucketExistsArgs.builder()
                        .bucket(LocalInfra.USER_BUCKET)
                        .build()),
                "infra up creates the default bucket");
        String bucket = TestBucket.current();

        String prefix = "it/" + UUID.randomUUID() + "/";
        byte[] data = new byte[300_000];
        new Random(7).nextBytes(data);
        for (String name : List.of("adapter_model.safetensors", "adapter_config.json")) {
            s3.putObject(PutObjectArgs.builder().bucket(bucket).object(prefix + name).stream(
                            new ByteArrayInputStream(data), (long) data.length, null)
                    .contentType("application/octet-stream")
                    .build());
        }
        assertEquals(
                data.length,
                s3.statObject(StatObjectArgs.builder()
                                .bucket(bucket)
                                .object(prefix + "adapter_model.safetensors")
                                .build())
                        .size());
        try (GetObjectResponse in = s3.getObject(GetObjectArgs.builder()
                .bucket(bucket)
                .object(prefix + "adapter_model.safetensors")
                .build())) {
            assertArrayEquals(data, in.readAllBytes());
        }
        List<String> listed = new ArrayList<>();
        for (Result<Item> r : s3.listObjects(ListObjectsArgs.builder()
                .bucket(bucket)
                .prefix(prefix)
                .recursive(true)
                .build())) {
            listed.add(r.get().objectName());
        }
        assertEquals(List.of(prefix + "adapter_config.json", prefix + "adapter_model.safetensors"), listed);

        for (String name : listed)
            s3.removeObject(
                    RemoveObjectArgs.builder().bucket(bucket).object(name).build());
        assertThrows(
                ErrorResponseException.class,
                () -> s3.statObject(StatObjectArgs.builder()
                        .bucket(bucket)
                        .object(prefix + "adapter_config.json")
                        .build()));
    }
}
