package org.clinlora.platform.jobs;

import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The in-process half of a job queue: one thread that runs one job at a time (one device; libtorch keeps one gradient
 * tape per process; tokenization is CPU-bound), the others waiting in order. A job id is held once, queued or running.
 * Whatever the job throws is logged by class name (messages may hold data) and the worker goes on; the job's record
 * then still says queued or running, so it runs again at the next {@link #recover}.
 */
public final class JobWorker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JobWorker.class.getName());

    private final String name;
    private final Consumer<String> job;
    private final LinkedBlockingDeque<String> queue = new LinkedBlockingDeque<>();
    private volatile String running;
    private volatile Thread thread;

    /** {@code job}: runs the job with that id to its end (its own outcome recorded by itself). */
    public JobWorker(String name, Consumer<String> job) {
        this.name = name;
        this.job = job;
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

    /** Queues every unfinished job of {@code records} that this worker does not hold yet; returns how many. */
    public int recover(JobRecords<?> records) {
        int n = 0;
        for (String id : records.unfinished()) if (offer(id)) n++;
        start();
        return n;
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
            try {
                job.accept(id);
            } catch (RuntimeException | Error e) {
                if (e instanceof VirtualMachineError vm) throw vm;
                LOG.severe(name + " " + id + " stopped (" + e.getClass().getSimpleName() + "); its record keeps it for the next start");
            } finally {
                running = null;
            }
        }
    }
}
