package org.clinlora.trainer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.clinlora.platform.jobs.JobSpec;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalInfraResource;
import org.clinlora.trainer.jobs.TrainingJob;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/jobs} as a runs table: twelve job records in a bucket of their own (written as the service writes
 * them; nothing runs them: the API role), searched by words, task, base model, status and creation day, sorted by a
 * field or a metric, and paged past the first page — and every parameter it cannot use a 400 problem naming it.
 */
@QuarkusTest
@TestProfile(JobSearchTest.OwnBucketProfile.class)
class JobSearchTest {
    static final int JOBS = 12;

    /** The API role over a bucket of its own. */
    public static class OwnBucketProfile extends RegistryFreeProfile {
        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "clinlora.trainer.run-jobs",
                    "false",
                    "mp.messaging.incoming.training-requests.auto.offset.reset",
                    "latest");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(OwnBucket.class));
        }
    }

    /** The local Kafka and S3Proxy, and the test bucket holding this test's twelve job records. */
    public static class OwnBucket implements QuarkusTestResourceLifecycleManager {
        private final LocalInfraResource infra = new LocalInfraResource();

        @Override
        public Map<String, String> start() {
            Map<String, String> config = new HashMap<>(infra.start());
            try {
                writeJobs(config.get("clinlora.s3.bucket")); // the test bucket of this boot, removed when it ends
            } catch (Exception e) {
                throw new IllegalStateException("cannot write the test's jobs", e);
            }
            return config;
        }

        @Override
        public void stop() {
            infra.stop();
        }
    }

    /**
     * run-00 … run-11, created on 2026-01-01 … 2026-01-12; los for even numbers, mor for odd; base tiny-a for the first
     * six, tiny-b after; the even ones succeeded with test.macro_auroc 0.50 + 0.03 i, the odd ones failed (no metrics).
     */
    static void writeJobs(String bucket) throws Exception {
        ObjectStore store = new ObjectStore(LocalInfra.s3Settings().withBucket(bucket));
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < JOBS; i++) {
            String id = String.format("run-%02d", i);
            String created = LocalDate.of(2026, 1, 1 + i)
                    .atTime(12, 0)
                    .toInstant(ZoneOffset.UTC)
                    .toString();
            boolean ok = i % 2 == 0;
            JobSpec spec = new JobSpec(
                    id,
                    "downstream",
                    i < 6 ? "tiny-a" : "tiny-b",
                    new JobSpec.Datasets("ds-" + i, null, null),
                    null,
                    null,
                    null,
                    "out-" + i,
                    ok ? "los" : "mor",
                    new JobSpec.Lora(8, 4.0, 0.1, null),
                    new JobSpec.Optim(0.01, 0.06, 8, 1, 2, null, 0.0, 1.0),
                    1L,
                    "cpu",
                    "fp32",
                    50,
                    true);
            TrainingJob job = new TrainingJob(
                    id,
                    ok ? TrainingJob.SUCCEEDED : TrainingJob.FAILED,
                    ok ? null : "it failed",
                    spec,
                    null,
                    null,
                    ok ? "out-" + i + "@1" : null,
                    null,
                    ok ? Map.of("test.macro_auroc", 0.5 + 0.03 * i) : null,
                    created,
                    created,
                    null,
                    "alice");
            store.put(StoreLayout.trainingJob(id) + "job.json", json.writeValueAsBytes(job), Map.of());
        }
    }

    /** One page as a client reads it: the body's job ids, X-Total-Count, and the offset in Link rel="next". */
    record Page(List<String> ids, int total, Integer nextOffset) {}

    static Page search(String query) {
        Response r =
                given().get("/v1/jobs" + query).then().statusCode(200).extract().response();
        Matcher next = Pattern.compile("<[^>]*[?&]offset=(\\d+)[^>]*>;\\s*rel=\"next\"")
                .matcher(Objects.requireNonNullElse(r.header("Link"), ""));
        return new Page(
                r.jsonPath().getList("jobId", String.class),
                Integer.parseInt(r.header("X-Total-Count")),
                next.find() ? Integer.valueOf(next.group(1)) : null);
    }

    static List<String> ids(String query) {
        return search(query).ids();
    }

    @Test
    void pagesWalkEveryJobOnceNewestFirstBeyondTheFirstPage() {
        Page first = search("?limit=5");
        assertEquals(JOBS, first.total());
        assertEquals(List.of("run-11", "run-10", "run-09", "run-08", "run-07"), first.ids());
        assertEquals(5, first.nextOffset());
        List<String> all = new ArrayList<>();
        Integer offset = 0;
        while (offset != null) {
            Page page = search("?limit=5&offset=" + offset);
            all.addAll(page.ids());
            offset = page.nextOffset();
        }
        assertEquals(JOBS, all.size());
        assertEquals(JOBS, all.stream().distinct().count(), "no job on two pages");
        assertNull(search("?limit=5&offset=10").nextOffset(), "the last page has no next");
        assertEquals(List.of(), ids("?offset=40"), "past the end: an empty page, not an error");
    }

    @Test
    void filtersByWordsTaskBaseStatusAndCreationDay() {
        assertEquals(6, search("?task=los").total());
        assertEquals(List.of("run-11", "run-09", "run-07"), ids("?task=mor&base=tiny-b"));
        assertEquals(List.of("run-03"), ids("?q=RUN-03"), "words are found whatever their case");
        assertEquals(List.of("run-05"), ids("?q=out-5"), "by the output name too");
        assertEquals(6, search("?status=failed&status=cancelled").total());
        assertEquals(JOBS, search("?status=succeeded,failed").total());
        assertEquals(List.of(), ids("?status=running"));
        assertEquals(
                List.of("run-06", "run-05", "run-04"),
                ids("?since=2026-01-05&until=2026-01-07"),
                "since a day from its start, until a day to its end");
        assertEquals(List.of("run-04"), ids("?since=2026-01-05T00:00:00Z&until=2026-01-05T12:00:01Z"));
        assertEquals(List.of("run-01"), ids("?kind=downstream&task=mor&base=tiny-a&until=2026-01-03"));
    }

    @Test
    void sortsByAFieldOrByAMetricWithTheRunsThatLackItLast() {
        List<String> byAuroc = ids("?sort=metrics.test.macro_auroc&limit=500");
        assertEquals(List.of("run-10", "run-08", "run-06", "run-04", "run-02", "run-00"), byAuroc.subList(0, 6));
        assertEquals(
                List.of("run-11", "run-09", "run-07", "run-05", "run-03", "run-01"),
                byAuroc.subList(6, 12),
                "failed runs (no metric) last, newest first among them");
        List<String> ascending = ids("?sort=metrics.test.macro_auroc&order=asc");
        assertEquals(List.of("run-00", "run-02", "run-04"), ascending.subList(0, 3));
        assertEquals("run-11", ascending.get(6), "still last in ascending order");
        assertEquals("run-00", ids("?sort=jobId&order=asc").get(0));
        assertEquals("run-00", ids("?order=asc").get(0), "createdAt, oldest first");
    }

    @Test
    void parametersItCannotUseAre400ProblemsNamingThem() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("?status=done", "status");
        bad.put("?kind=pretraining", "kind");
        bad.put("?sort=loss", "sort");
        bad.put("?order=up", "order");
        bad.put("?since=yesterday", "since");
        bad.put("?until=2026-13-01", "until");
        bad.put("?since=2026-02-01&until=2026-01-01", "since");
        bad.put("?offset=-1", "offset");
        bad.put("?limit=0", "limit");
        bad.put("?limit=501", "limit");
        bad.put("?limit=ten", "limit");
        bad.forEach((query, param) -> given().get("/v1/jobs" + query)
                .then()
                .statusCode(400)
                .contentType(containsString("application/problem+json"))
                .body("reason", equalTo("invalid_request"))
                .body("instance", equalTo("/v1/jobs"))
                .body("detail", containsString(param)));
    }
}
