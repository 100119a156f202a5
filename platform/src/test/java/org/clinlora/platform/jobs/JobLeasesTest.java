package org.clinlora.platform.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.clinlora.testing.InMemoryBlobStore;
import org.junit.jupiter.api.Test;

/** One owner per job across replicas that share a store: claims, renewals, expiry, take-over, and two workers. */
class JobLeasesTest {
    final InMemoryBlobStore store = new InMemoryBlobStore();
    final AtomicLong now = new AtomicLong(1_000_000);

    JobLeases replica(String owner) {
        return new JobLeases(store, "training-jobs", owner, Duration.ofSeconds(30), now::get);
    }

    @Test
    void aLiveLeaseKeepsOtherReplicasOutUntilItExpires() {
        JobLeases a = replica("pod-a:8083"), b = replica("pod-b:8083");
        JobLeases.Held held = a.claim("job-1").orElseThrow();
        assertTrue(b.claim("job-1").isEmpty(), "owned by a");
        assertFalse(b.claimable("job-1"));
        now.addAndGet(20_000);
        assertTrue(held.renew(), "renewed in time");
        now.addAndGet(20_000);
        assertTrue(b.claim("job-1").isEmpty(), "the renewal moved the expiry on");
        now.addAndGet(11_000); // a stopped renewing (crashed): 31 s since its last renewal
        assertTrue(held.lost(), "an owner that could not renew within the time to live stops");
        JobLeases.Held taken = b.claim("job-1").orElseThrow();
        assertFalse(held.renew(), "a's late renewal loses to b's take-over");
        assertTrue(a.claim("job-1").isEmpty());
        assertFalse(taken.lost());
        assertEquals("pod-b:8083", b.current("job-1").orElseThrow().owner());
        assertEquals(1, store.list("job-leases/training-jobs/job-1/").size(), "older generations are deleted");
    }

    @Test
    void aReleasedLeaseIsClaimableAtOnceAndARestartedOwnerTakesItsOwnBack() {
        JobLeases a = replica("pod-a:8083"), b = replica("pod-b:8083");
        a.claim("job-1").orElseThrow().release();
        assertTrue(b.claimable("job-1"));
        b.claim("job-1").orElseThrow();
        JobLeases bRestarted = replica("pod-b:8083");
        assertTrue(
                bRestarted.claim("job-1").isPresent(),
                "the same owner id: its old process is gone, no wait for the expiry");
        assertTrue(a.claim("job-1").isEmpty());
    }

    @Test
    void ofTwoReplicasRacingForTheSameGenerationOneWins() {
        JobLeases a = replica("pod-a:8083"), b = replica("pod-b:8083");
        a.claim("job-1").orElseThrow();
        now.addAndGet(31_000);
        // Both saw the expired lease; both create the next generation: the store lets one of them.
        JobLeases.Held first = b.claim("job-1").orElseThrow();
        JobLeases c = replica("pod-c:8083");
        assertTrue(c.claim("job-1").isEmpty());
        assertFalse(first.lost());
    }

    @Test
    void aJobAnotherReplicaHoldsIsSkippedAndTheWorkerIsToldSo() throws InterruptedException {
        new JobLeases(store, "training-jobs", "pod-b", Duration.ofSeconds(30))
                .claim("job-1")
                .orElseThrow(); // the wall clock, as the worker
        List<String> ran = new CopyOnWriteArrayList<>(), skipped = new CopyOnWriteArrayList<>();
        try (JobWorker w = new JobWorker(
                "a", new JobLeases(store, "training-jobs", "pod-a", Duration.ofSeconds(30)), ran::add, skipped::add)) {
            w.offer("job-1");
            w.offer("job-2");
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < end && (ran.isEmpty() || skipped.isEmpty())) Thread.sleep(20);
        }
        assertEquals(List.of("job-2"), ran);
        assertEquals(List.of("job-1"), skipped, "the caller forgets what it queued for a job it does not run");
    }

    @Test
    void twoWorkersOnOneStoreRunEachOfFiveJobsOnce() throws InterruptedException {
        JobRecordsTest.Job[] jobs = new JobRecordsTest.Job[5];
        JobRecords<JobRecordsTest.Job> records = new JobRecords<>(
                store,
                "jobs/",
                ".json",
                JobRecordsTest.Job.class,
                JobRecordsTest.Job::id,
                JobRecordsTest.Job::finished);
        for (int i = 0; i < 5; i++) records.create(jobs[i] = new JobRecordsTest.Job("job-" + i, "queued"));
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        // A worker reaching its probe has handled every job it queued before it (one worker thread, a FIFO queue).
        CountDownLatch probed = new CountDownLatch(2);
        Function<String, Consumer<String>> job = owner -> id -> {
            if (id.startsWith("probe-")) {
                probed.countDown();
                return;
            }
            if (records.read(id).orElseThrow().finished()) return;
            runs.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            records.save(new JobRecordsTest.Job(id, "done"));
        };
        List<JobWorker> workers = List.of(
                new JobWorker("a", new JobLeases(store, "jobs", "a", Duration.ofSeconds(30)), job.apply("a")),
                new JobWorker("b", new JobLeases(store, "jobs", "b", Duration.ofSeconds(30)), job.apply("b")));
        for (JobWorker w : workers) w.recover(records);
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end && !records.unfinished().isEmpty()) Thread.sleep(20);
        workers.get(0).offer("probe-a");
        workers.get(1).offer("probe-b");
        assertTrue(probed.await(20, TimeUnit.SECONDS), "both workers drained their queues");
        for (JobWorker w : workers) w.close();
        assertEquals(List.of(), records.unfinished());
        assertEquals(5, runs.size());
        runs.forEach((id, n) -> assertEquals(1, n.get(), id + " ran once"));
    }
}
