package org.clinlora.trainer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalInfraResource;
import org.junit.jupiter.api.Test;

/**
 * trainer-svc in the API role ({@code clinlora.trainer.run-jobs=false}, as the {@code gpu} overlay runs it on CPU
 * beside GPU workers): a job for a device this process does not have is accepted and recorded, stays queued through
 * recovery rounds (nothing here runs or claims it), and {@code clinlora_trainer_jobs_pending} counts it — then a cancel
 * ends it, since no worker holds it. Its own profile, so its own boot and with it a bucket of its own
 * ({@link LocalInfraResource}): the count is exactly this test's.
 */
@QuarkusTest
@TestProfile(ApiRoleTest.ApiRole.class)
class ApiRoleTest {
    public static class ApiRole extends RegistryFreeProfile {
        @Override
        protected Map<String, String> settings() {
            return Map.of("clinlora.trainer.run-jobs", "false", "clinlora.jobs.recover-interval", "PT0.3S");
        }

        /** Kafka, S3Proxy and the bucket only. */
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(LocalInfraResource.class));
        }
    }

    @Test
    void anApiRoleTrainerRecordsAJobForAGpuItDoesNotHaveAndLeavesItQueuedForTheWorkers() throws Exception {
        ObjectStore store = new ObjectStore(LocalInfra.s3Settings());
        // What admission reads: the base's config (no weights: nothing here loads it) and a built dataset's manifest.
        Path dir = Files.createDirectories(Files.createTempDirectory("api-role").resolve("m"));
        Files.writeString(
                dir.resolve("config.json"),
                "{\"model_type\":\"llama\",\"vocab_size\":700,\"hidden_size\":32,\"intermediate_size\":96,"
                        + "\"num_hidden_layers\":1,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
                        + "\"rms_norm_eps\":1e-6,\"max_position_embeddings\":256,\"tie_word_embeddings\":false}");
        new ModelStore(store).upload("api-base", dir);
        store.put(StoreLayout.dataset("api-notes") + DatasetBuilder.MANIFEST, "{}".getBytes(), Map.of());
        awaitMetric("clinlora_trainer_jobs_pending 0.0");

        given().contentType("application/json")
                .body(Map.of(
                        "jobId", "api-job",
                        "kind", "domain_adaptation",
                        "baseModel", "api-base",
                        "datasets", Map.of("train", "api-notes"),
                        "outputName", "api-clinical",
                        "device", "cuda",
                        "precision", "fp16"))
                .post("/v1/jobs")
                .then()
                .statusCode(202)
                .body("status", equalTo("queued"));
        awaitMetric("clinlora_trainer_jobs_pending 1.0");
        Thread.sleep(1500); // five recovery rounds: counted each time, claimed by none
        given().get("/v1/jobs/api-job").then().statusCode(200).body("status", equalTo("queued"));
        String metrics = metrics();
        assertTrue(metrics.contains("clinlora_trainer_jobs_pending 1.0"), metrics);
        assertTrue(metrics.contains("clinlora_trainer_jobs{state=\"running\"} 0.0"), metrics);
        assertEquals(List.of(), store.list(StoreLayout.jobLeases("training-jobs")), "no replica claimed it");

        // No worker holds it: the cancel ends it here, and the count follows at the next round.
        given().delete("/v1/jobs/api-job").then().statusCode(202).body("status", equalTo("cancelled"));
        given().get("/v1/jobs/api-job")
                .then()
                .statusCode(200)
                .body("status", equalTo("cancelled"))
                .body("reason", containsString("cancelled by request"));
        awaitMetric("clinlora_trainer_jobs_pending 0.0");
        assertEquals(
                List.of(), store.list("training-jobs/api-job/cancel"), "the marker is removed with the job's files");
    }

    private static String metrics() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    private static void awaitMetric(String line) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end) {
            if (metrics().contains(line)) return;
            Thread.sleep(100);
        }
        assertTrue(metrics().contains(line), line + " in\n" + metrics());
    }
}
