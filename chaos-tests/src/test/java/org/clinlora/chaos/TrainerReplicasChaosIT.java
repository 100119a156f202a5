package org.clinlora.chaos;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.testing.TestAuth;
import org.junit.jupiter.api.Test;

/**
 * Two trainer-svc replicas on one store: five jobs queued on one of them run once each, spread over both through their
 * leases; a job whose replica is killed mid-run is taken over by the other once the lease expires, from its checkpoint.
 */
class TrainerReplicasChaosIT {
    @Test
    void twoReplicasRunEachOfFiveJobsOnceAndTakeOverAKilledOnesJob() throws Exception {
        try (Cluster c = new Cluster()) {
            String model = "chaos-rep-" + c.run;
            c.baseModel(model);
            Map<String, String> lease =
                    Map.of("CLINLORA_JOBS_LEASE_TTL", "PT6S", "CLINLORA_JOBS_RECOVER_INTERVAL", "PT2S");
            // Replica a boots beside the registry and tokenizer; b after a: the replicas share consumer groups, which
            // each start positions.
            List<Cluster.Service> started = c.startTogether(
                    new Cluster.Launch("registry", Map.of()),
                    new Cluster.Launch("tokenizer", Map.of()),
                    new Cluster.Launch("trainer", lease));
            Cluster.Service registry = started.get(0), tokenizer = started.get(1), a = started.get(2);
            Map<String, String> env = new HashMap<>(Cluster.urls(registry));
            env.putAll(lease);
            Cluster.Service b = c.start("trainer", env);

            String dataset = c.notesDataset(tokenizer, model, "chaos-rep-ds-" + c.run, 200);

            // Five jobs, all submitted to replica a: b finds them in the store and takes whatever a has not claimed.
            List<String> jobs = new ArrayList<>();
            long submitted = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                String job = "chaos-rep-" + i + "-" + c.run;
                jobs.add(job);
                given().contentType("application/json")
                        .body(job(job, model, dataset, 40, 10))
                        .post(a.url() + "/v1/jobs")
                        .then()
                        .statusCode(202);
            }
            for (String job : jobs) {
                JsonPath j = Cluster.await(
                        a.url() + "/v1/jobs/" + job,
                        List.of("succeeded", "failed", "cancelled"),
                        Duration.ofMinutes(4));
                assertEquals("succeeded", j.getString("status"), j.prettify());
            }
            double allDone = (System.nanoTime() - submitted) / 1e9;
            RegistryClient reg = new RegistryClient(registry.url(), TestAuth::allRoles);
            Map<String, String> ranOn = new TreeMap<>();
            for (String job : jobs) {
                int onA = runs(a, job), onB = runs(b, job);
                assertEquals(1, onA + onB, job + " ran once (a " + onA + ", b " + onB + ")");
                ranOn.put(job, onA == 1 ? "a" : "b");
                assertEquals(1, reg.versions("out-" + job).size(), job + " published once");
            }
            assertTrue(ranOn.containsValue("a") && ranOn.containsValue("b"), "both replicas took jobs: " + ranOn);

            // A longer job; its replica is killed after a checkpoint; the other resumes it once the lease has expired.
            String longJob = "chaos-rep-long-" + c.run;
            given().contentType("application/json")
                    .body(job(longJob, model, dataset, 400, 20))
                    .post(a.url() + "/v1/jobs")
                    .then()
                    .statusCode(202);
            Cluster.awaitTrue("the long job passed a checkpoint", Duration.ofMinutes(2), () -> {
                JsonPath j = given().get(a.url() + "/v1/jobs/" + longJob)
                        .then()
                        .extract()
                        .jsonPath();
                return j.get("checkpointStep") != null && j.getInt("checkpointStep") >= 20;
            });
            Cluster.Service owner = runs(a, longJob) == 1 ? a : b, other = owner == a ? b : a;
            c.kill(owner);
            long killed = System.nanoTime();
            Cluster.awaitTrue(
                    "the other replica took the job over", Duration.ofSeconds(60), () -> runs(other, longJob) == 1);
            double takenOver = (System.nanoTime() - killed) / 1e9;
            JsonPath done = Cluster.await(
                    other.url() + "/v1/jobs/" + longJob,
                    List.of("succeeded", "failed", "cancelled"),
                    Duration.ofMinutes(4));
            assertEquals("succeeded", done.getString("status"), done.prettify());
            assertTrue(
                    other.logText().contains("job " + longJob + ": resuming after optimizer step"),
                    "resumed from its checkpoint");
            assertEquals(1, reg.versions("out-" + longJob).size(), "published once");
            System.out.printf(
                    "RESULT chaos replicas: 5 jobs submitted to one replica ran once each (%s) in %.1f s; the long job's owner killed after a checkpoint, "
                            + "the other replica took it over %.1f s later (lease 6 s, look-up every 2 s) and finished it from the checkpoint%n",
                    ranOn, allDone, takenOver);
        }
    }

    static Map<String, Object> job(String id, String model, String dataset, int steps, int checkpointEvery) {
        return Map.of(
                "jobId",
                id,
                "kind",
                "domain_adaptation",
                "baseModel",
                model,
                "datasets",
                Map.of("train", dataset),
                "outputName",
                "out-" + id,
                "checkpointEvery",
                checkpointEvery,
                "optim",
                Map.of("learningRate", 0.01, "batchSize", 8, "gradientAccumulation", 1, "maxSteps", steps));
    }

    /** How many times a replica started the job (its log's "job …: running" lines). */
    static int runs(Cluster.Service s, String job) {
        try {
            String log = s.logText();
            int n = 0;
            for (int i = log.indexOf("job " + job + ": running");
                    i >= 0;
                    i = log.indexOf("job " + job + ": running", i + 1)) n++;
            return n;
        } catch (IOException e) {
            return 0;
        }
    }
}
