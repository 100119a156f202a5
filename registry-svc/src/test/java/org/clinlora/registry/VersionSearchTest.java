package org.clinlora.registry;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.train.PaperDefaults;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.testing.LocalInfraResource;
import org.clinlora.testing.TestAdapters;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/versions}: versions found across adapters by words, adapter name, task, base model, parent and
 * publication time, sorted by a field or a metric, paged — and every parameter it cannot use a 400 problem naming it.
 * The shared bucket holds other tests' adapters too, so every search here is narrowed to this run's task.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class VersionSearchTest {
    static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    static final String TASK = "search-" + RUN, CLINICAL = "sclin-" + RUN, LOS = "slos-" + RUN;
    static String base;
    static Instant before;
    static boolean published;

    @Inject
    ModelStore models;

    /** clinical@1 (AUROC 0.70), then los@1 (0.90) and los@2 (0.80) on it, and clinical@2 without metrics. */
    @BeforeEach
    void publish() throws Exception {
        if (published) return;
        Path work = Files.createTempDirectory("registry-search");
        String b = "tiny-search-" + RUN;
        LlamaConfig config =
                TinyLlama.write(work.resolve("base"), new TinyLlama.Spec(600, 32, 2, 4, 2, 96, 256, false, 3));
        models.upload(b, work.resolve("base"));
        base = b;
        Path clinical = TestAdapters.write(work.resolve("c"), PaperDefaults.clinicalLora(), config, 0, 1);
        Path los = TestAdapters.write(work.resolve("l"), PaperDefaults.downstreamLora(), config, 4, 2);
        before = Instant.now().minusSeconds(1);
        publish(CLINICAL, clinical, card(null, 0.70));
        publish(LOS, los, card(CLINICAL + "@1", 0.90));
        publish(LOS, los, card(CLINICAL + "@1", 0.80));
        publish(CLINICAL, clinical, card(null, null));
        published = true;
    }

    static String card(String parent, Double auroc) {
        return "{\"task\":\"" + TASK + "\",\"baseModelId\":\"" + base + "\",\"datasetIds\":[\"ds-" + RUN + "\"]"
                + (auroc == null ? "" : ",\"metrics\":{\"test.macro_auroc\":" + auroc + "}")
                + (parent == null ? "" : ",\"parent\":\"" + parent + "\",\"labelNames\":[\"a\",\"b\",\"c\",\"d\"]")
                + ",\"trainingConfig\":{\"jobId\":\"job-of-" + RUN + "\"}}";
    }

    static void publish(String name, Path dir, String card) {
        AdaptersApiTest.files(dir, card)
                .post("/v1/adapters/" + name + "/versions")
                .then()
                .statusCode(201);
    }

    static JsonPath search(String query) {
        return given().get("/v1/versions?task=" + TASK + query)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    static List<String> refs(String query) {
        JsonPath p = search(query);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < p.getList("versions").size(); i++)
            out.add(p.getString("versions[" + i + "].name") + "@" + p.getInt("versions[" + i + "].version"));
        return out;
    }

    @Test
    void findsVersionsAcrossAdaptersNewestFirstAndPagesThem() {
        assertEquals(List.of(CLINICAL + "@2", LOS + "@2", LOS + "@1", CLINICAL + "@1"), refs(""));
        JsonPath first = search("&limit=3");
        assertEquals(4, first.getInt("total"));
        assertEquals(3, first.getInt("nextOffset"));
        JsonPath last = search("&limit=3&offset=3");
        assertEquals(List.of(CLINICAL), last.getList("versions.name"));
        assertNull(last.get("nextOffset"));
        assertEquals(
                64,
                first.getString("versions[0].files.'adapter_model.safetensors'.sha256")
                        .length(),
                "each result is the whole card, files and sha256 included");
    }

    @Test
    void filtersByNameParentBaseWordsAndPublicationTime() {
        assertEquals(List.of(LOS + "@2", LOS + "@1"), refs("&name=" + LOS));
        assertEquals(List.of(LOS + "@2", LOS + "@1"), refs("&parent=" + CLINICAL + "@1"));
        assertEquals(4, search("&base=" + base).getInt("total"));
        assertEquals(0, search("&base=another-base").getInt("total"));
        assertEquals(List.of(LOS + "@1"), refs("&q=" + LOS.toUpperCase() + "@1"), "words in any case");
        assertEquals(4, search("&q=job-of-" + RUN).getInt("total"), "by the job that trained it");
        assertEquals(4, search("&since=" + before).getInt("total"));
        String yesterday = LocalDate.now(ZoneOffset.UTC).minusDays(1).toString();
        assertEquals(0, search("&until=" + yesterday).getInt("total"));
        assertEquals(4, search("&since=" + yesterday).getInt("total"));
    }

    @Test
    void sortsByAMetricWithTheVersionsThatLackItLast() {
        assertEquals(
                List.of(LOS + "@1", LOS + "@2", CLINICAL + "@1", CLINICAL + "@2"),
                refs("&sort=metrics.test.macro_auroc"));
        assertEquals(
                List.of(CLINICAL + "@1", LOS + "@2", LOS + "@1", CLINICAL + "@2"),
                refs("&sort=metrics.test.macro_auroc&order=asc"));
        assertEquals(
                List.of(CLINICAL + "@1", CLINICAL + "@2", LOS + "@1", LOS + "@2"),
                refs("&sort=name&order=asc").stream().sorted().toList());
        assertEquals(CLINICAL + "@1", refs("&order=asc").get(0), "oldest first");
    }

    @Test
    void parametersItCannotUseAre400ProblemsNamingThem() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("?name=Not A Name", "name");
        bad.put("?parent=" + CLINICAL + "@production", "parent");
        bad.put("?parent=@@", "parent");
        bad.put("?sort=size", "sort");
        bad.put("?order=random", "order");
        bad.put("?since=last-week", "since");
        bad.put("?since=2026-02-01&until=2026-01-01", "since");
        bad.put("?offset=x", "offset");
        bad.put("?limit=1001", "limit");
        bad.forEach((query, param) -> given().get("/v1/versions" + query)
                .then()
                .statusCode(400)
                .contentType(containsString("application/problem+json"))
                .body("reason", equalTo("invalid_request"))
                .body("detail", containsString(param)));
    }
}
