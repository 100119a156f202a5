package org.clinlora.platform.jobs;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The in-process half of a job queue: one thread that runs one job at a time (one device; libtorch keeps one gradient
 * tape per process; tokenization is CPU-bound), the others waiting in order. A job id is held once, queued or running.
 * Whatever the job throws is logged by class name (messages may hold data) and the worker goes on; the job's record
 * then still says queued or running, so it runs again at the next {@link #recover}.
 *
 * <p>With {@link JobLeases} (several replicas on one store) a job runs only under its lease: the worker claims it when
 * the job's turn comes (another replica's live lease: skipped), renews it while the job runs, and releases it when the
 * job returns. {@link #leaseLost} tells a running job that it must stop without recording anything more.
 */
public final class JobWorker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JobWorker.class.getName());

    private final String name;
    private final Consumer<String> job;
    private final Consumer<String> skipped;
    private final JobLeases leases;
    private final ScheduledExecutorService timer;
    private volatile JobLeases.Held held;
    private final LinkedBlockingDeque<String> queue = new LinkedBlockingDeque<>();
    private volatile String running;
    private volatile Thread thread;

    /** {@code job}: runs the job with that id to its end (its own outcome recorded by itself). */
    public JobWorker(String name, Consumer<String> job) {
        this(name, null, job);
    }

    /** {@code leases}: null for a single process that owns every job of its store (unit tests, the CLI). */
    public JobWorker(String name, JobLeases leases, Consumer<String> job) {
        this(name, leases, job, id -> {});
    }

    /** {@code skipped}: told of a job taken off the queue without running (another replica holds it), to forget it. */
    public JobWorker(String name, JobLeases leases, Consumer<String> job, Consumer<String> skipped) {
        this.name = name;
        this.job = job;
        this.skipped = skipped;
        this.leases = leases;
        // Two threads: a slow look-up for jobs (the store may be failing) must not hold back a lease renewal.
        this.timer = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, name + "-timer");
            t.setDaemon(true);
            return t;
        });
    }

    /** Queues the job unless it is already queued or running; false then. */
    public synchronized boolean offer(String id) {
        if (holds(id)) return false;
        queue.add(id);
        start();
        return true;
    }

    /** Takes a waiting job out of the queue; false if it is not waiting (running, done, unknown). */
    public boolean remove(String id) {
        return queue.remove(id);
    }

    public boolean holds(String id) {
        return id.equals(running) || queue.contains(id);
    }

    public int waiting() {
        return queue.size();
    }

    /** The id of the job running now, or null. */
    public String running() {
        return running;
    }

    /**
     * Queues every unfinished job of {@code records} that this worker does not hold and may claim; returns how many.
     */
    public int recover(JobRecords<?> records) {
        int n = 0;
        for (String id : records.unfinished()) if (claimable(id) && offer(id)) n++;
        start();
        return n;
    }

    /** Whether this worker may take the job: no other replica holds a live lease on it. */
    public boolean claimable(String id) {
        return leases == null || leases.claimable(id);
    }

    /** True when the job running now is {@code id} and its lease can no longer be counted on. */
    public boolean leaseLost(String id) {
        JobLeases.Held h = held;
        return h != null && h.jobId().equals(id) && h.lost();
    }

    /**
     * Runs {@code recover} now and then every {@code every} (jobs submitted to another replica, or left by one that
     * crashed); what it throws (the store may be down) is logged by class name and the next round tries again.
     */
    public void recoverEvery(Duration every, Runnable recover) {
        timer.scheduleWithFixedDelay(
                () -> {
                    try {
                        recover.run();
                    } catch (RuntimeException e) {
                        LOG.warning(name + ": could not look for unowned jobs ("
                                + e.getClass().getSimpleName() + ")");
                    }
                },
                0,
                every.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    public synchronized void start() {
        if (thread != null && thread.isAlive()) return;
        thread = new Thread(this::work, name);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() {
        Thread t = thread;
        if (t != null) t.interrupt();
        timer.shutdownNow();
    }

    private void work() {
        while (!Thread.currentThread().isInterrupted()) {
            String id;
            try {
                id = queue.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (id == null) continue;
            running = id;
            ScheduledFuture<?> renewal = null;
            try {
                Optional<JobLeases.Held> lease = claim(id);
                if (lease == null) {
                    skipped.accept(id);
                    continue;
                }
                if (lease.isPresent()) renewal = keepRenewing(lease.get());
                job.accept(id);
            } catch (RuntimeException | Error e) {
                if (e instanceof VirtualMachineError vm) throw vm;
                LOG.severe(name + " " + id + " stopped (" + e.getClass().getSimpleName()
                        + "); its record keeps it for the next start");
            } finally {
                if (renewal != null) renewal.cancel(false);
                release();
                running = null;
            }
        }
    }

    /** Empty without leases; null when the job is another replica's (or the store cannot say), so it is skipped. */
    private Optional<JobLeases.Held> claim(String id) {
        if (leases == null) return Optional.empty();
        try {
            Optional<JobLeases.Held> h = leases.claim(id);
            if (h.isEmpty()) {
                LOG.info(name + " " + id + ": held by another replica; skipped");
                return null;
            }
            held = h.get();
            return h;
        } catch (RuntimeException e) {
            LOG.warning(name + " " + id + ": could not claim its lease ("
                    + e.getClass().getSimpleName() + "); tried again later");
            return null;
        }
    }

    private ScheduledFuture<?> keepRenewing(JobLeases.Held h) {
        long every = Math.max(100, leases.ttl().toMillis() / 3);
        return timer.scheduleWithFixedDelay(
                () -> {
                    try {
                        if (!h.renew())
                            LOG.warning(name + " " + h.jobId()
                                    + ": lease lost; the job stops here and another replica resumes it");
                    } catch (RuntimeException e) {
                        LOG.warning(name + " " + h.jobId() + ": could not renew its lease ("
                                + e.getClass().getSimpleName() + ")");
                    }
                },
                every,
                every,
                TimeUnit.MILLISECONDS);
    }

    private void release() {
        JobLeases.Held h = held;
        held = null;
        if (h == null) return;
        try {
            h.release();
        } catch (RuntimeException e) {
            LOG.warning(name + " " + h.jobId() + ": could not release its lease ("
                    + e.getClass().getSimpleName() + "); it expires");
        }
    }
}
