package org.clinlora.chaos;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.path.json.JsonPath;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.store.StoreLayout;
import org.junit.jupiter.api.Test;

/**
 * tokenizer-svc killed with SIGKILL in the middle of a dataset build: the build finishes after the restart, as if never
 * interrupted.
 */
class TokenizerCrashChaosIT {
    @Test
    void aBuildKilledMidwayFinishesAfterTheRestartWithTheSameShards() throws Exception {
        try (Cluster c = new Cluster()) {
            String model = "chaos-tok-" + c.run;
            c.baseModel(model);
            new SyntheticCorpus(new SyntheticCorpus.Settings(100, 0.9, 7)).writeNotes(c.dir.resolve("notes"), 6000, 0);
            String key = "chaos/" + c.run + "/discharge.csv.gz";
            c.store.put(key, c.dir.resolve("notes/discharge.csv.gz"), Map.of());
            Cluster.Service tokenizer = c.start("tokenizer", Map.of());
            Map<String, Object> spec =
                    Map.of("model", model, "kind", "causal_lm", "sources", List.of(key), "seqLen", 128);

            String interrupted = "chaos-killed-" + c.run;
            given().contentType("application/json")
                    .body(with(spec, interrupted))
                    .post(tokenizer.url() + "/v1/datasets")
                    .then()
                    .statusCode(202);
            Cluster.awaitTrue("the build is under way", Duration.ofSeconds(60), () -> {
                JsonPath j = given().get(tokenizer.url() + "/v1/datasets/" + interrupted)
                        .then()
                        .extract()
                        .jsonPath();
                return "building".equals(j.getString("status")) && j.getLong("progress.notesRead") > 500;
            });
            long killedAt = System.nanoTime();
            c.kill(tokenizer);
            assertTrue(
                    c.store
                            .getBytes(StoreLayout.dataset(interrupted) + "manifest.json")
                            .isEmpty(),
                    "killed before it finished");
            c.restart(tokenizer);
            double restartSeconds = (System.nanoTime() - killedAt) / 1e9;
            JsonPath after = Cluster.await(
                    tokenizer.url() + "/v1/datasets/" + interrupted, List.of("ready", "failed"), Duration.ofMinutes(3));
            double recoverSeconds = (System.nanoTime() - killedAt) / 1e9;
            assertEquals("ready", after.getString("status"), after.prettify());

            String reference = "chaos-whole-" + c.run;
            given().contentType("application/json")
                    .body(with(spec, reference))
                    .post(tokenizer.url() + "/v1/datasets")
                    .then()
                    .statusCode(202);
            assertEquals(
                    "ready",
                    Cluster.await(
                                    tokenizer.url() + "/v1/datasets/" + reference,
                                    List.of("ready", "failed"),
                                    Duration.ofMinutes(3))
                            .getString("status"));

            JsonPath killed = manifest(c, interrupted), whole = manifest(c, reference);
            assertEquals(whole.getMap("counts"), killed.getMap("counts"));
            List<String> a = tensorHashes(c, interrupted, killed), b = tensorHashes(c, reference, whole);
            assertEquals(b, a, "the same tensors in the same shards");
            assertEquals(
                    killed.getList("shards").size(),
                    c.store.list(StoreLayout.dataset(interrupted)).size() - 1,
                    "no shard left over from the killed run");
            System.out.printf(
                    "RESULT chaos tokenizer: killed mid-build (%d shards, %s rows), restarted and ready %.1f s after the kill (restart %.1f s); shards equal an uninterrupted build%n",
                    a.size(), killed.getMap("counts"), recoverSeconds, restartSeconds);
        }
    }

    static Map<String, Object> with(Map<String, Object> spec, String id) {
        Map<String, Object> m = new HashMap<>(spec);
        m.put("datasetId", id);
        return m;
    }

    static JsonPath manifest(Cluster c, String id) {
        return JsonPath.from(new String(
                c.store.getBytes(StoreLayout.dataset(id) + "manifest.json").orElseThrow(), StandardCharsets.UTF_8));
    }

    /**
     * Each shard checked against the manifest's sha256, then the sha256 of its tensor bytes alone: the safetensors
     * header names the dataset, so two datasets with the same rows differ in file hash but not in tensors.
     */
    static List<String> tensorHashes(Cluster c, String id, JsonPath manifest) {
        List<String> out = new ArrayList<>();
        List<Map<String, Object>> shards = manifest.getList("shards");
        for (Map<String, Object> s : shards) {
            byte[] bytes =
                    c.store.getBytes(StoreLayout.dataset(id) + s.get("file")).orElseThrow();
            assertEquals(s.get("sha256"), Sha256.of(bytes), id + "/" + s.get("file"));
            long header =
                    ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            out.add(s.get("split") + ":"
                    + Sha256.of(Arrays.copyOfRange(bytes, Math.toIntExact(8 + header), bytes.length)));
        }
        return out;
    }
}
