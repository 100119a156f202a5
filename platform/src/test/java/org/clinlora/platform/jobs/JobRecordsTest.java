package org.clinlora.platform.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.clinlora.testing.InMemoryBlobStore;
import org.junit.jupiter.api.Test;

/** The durable job queue both dataset builds and training jobs use, without S3: records, recovery, the worker. */
class JobRecordsTest {
    record Job(String id, String status) {
        boolean finished() {
            return status.equals("done");
        }
    }

    @Test
    void aRecordIsCreatedOnceAndUnfinishedOnesAreFoundInBothLayouts() {
        InMemoryBlobStore store = new InMemoryBlobStore();
        for (String suffix : List.of(".json", "/job.json")) {
            JobRecords<Job> records =
                    new JobRecords<>(store, "jobs" + suffix.length() + "/", suffix, Job.class, Job::id, Job::finished);
            assertTrue(records.create(new Job("a", "queued")));
            assertFalse(records.create(new Job("a", "queued")), "the same id again is the same job");
            records.create(new Job("b", "queued"));
            records.save(new Job("b", "done"));
            records.create(new Job("c", "running"));
            assertEquals(List.of("a", "b", "c"), records.ids());
            assertEquals(List.of("a", "c"), records.unfinished());
        }
    }

    @Test
    void theLookUpForUnfinishedJobsDoesNotReadFinishedRecordsAgain() {
        InMemoryBlobStore store = new InMemoryBlobStore();
        JobRecords<Job> records = new JobRecords<>(store, "jobs/", ".json", Job.class, Job::id, Job::finished);
        records.create(new Job("a", "queued"));
        records.create(new Job("b", "queued"));
        assertEquals(List.of("a", "b"), records.unfinished());
        records.save(new Job("b", "done"));
        assertEquals(List.of("a"), records.unfinished());
        // Were b read again, this would fail: the periodic look-up costs one read per unfinished job, not per job ever
        // run.
        store.put("jobs/b.json", "not a record".getBytes(), Map.of());
        assertEquals(List.of("a"), records.unfinished());
    }

    @Test
    void theWorkerRunsEachRecoveredJobOnceAndGoesOnAfterAFailure() throws InterruptedException {
        InMemoryBlobStore store = new InMemoryBlobStore();
        JobRecords<Job> records = new JobRecords<>(store, "jobs/", ".json", Job.class, Job::id, Job::finished);
        for (String id : List.of("j1", "j2", "j3")) records.create(new Job(id, "queued"));
        List<String> ran = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(3);
        try (JobWorker worker = new JobWorker("test-worker", id -> {
            ran.add(id);
            done.countDown();
            if (id.equals("j1")) throw new IllegalStateException("the store went away");
            records.save(new Job(id, "done"));
        })) {
            assertEquals(3, worker.recover(records));
            assertEquals(0, worker.recover(records), "jobs already held are not queued twice");
            assertTrue(done.await(10, TimeUnit.SECONDS));
            Thread.sleep(200);
            assertEquals(List.of("j1", "j2", "j3"), ran, "one at a time, in order, each once");
            assertEquals(List.of("j1"), records.unfinished(), "the failed job keeps its record for the next start");
        }
    }
}
