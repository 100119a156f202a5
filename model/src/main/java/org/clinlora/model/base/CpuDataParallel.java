package org.clinlora.model.base;

import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Data parallelism across a CPU's cores: a batch's rows split into parts, each part computed on a worker thread of its
 * own with its share of the caller's libtorch threads (one each on a 2-core machine), instead of every op of the whole
 * batch spread over all cores. libtorch's intra-op parallelism leaves cores idle through every op too small to split
 * (the rank-r LoRA products, the ops on [N, 1] tensors) and wakes its threads for every op; parts computed side by side
 * have no such gaps. Measured on a 2-core AMD EPYC (docs/PERFORMANCE.md, 2026-12-07), alternating runs: LoRA training
 * steps 1.07-1.25x, the small classification forward 1.08-1.12x, the tiny forward unchanged.
 *
 * <p>How many workers: {@link #setWorkers}, else {@code clinlora.cpu.workers} (system property) or
 * {@code CLINLORA_CPU_WORKERS} (environment), else {@code OMP_NUM_THREADS}, else the cores the JVM sees; 1 under
 * {@code OMP_WAIT_POLICY=ACTIVE} unless set explicitly (its idle OpenMP threads would spin on the parts' cores). 1
 * turns data parallelism off. A batch of one row, a GPU and work already on a worker run as one part in the calling
 * thread; the callers decide which work splits ({@code LlamaModel.pooledHiddenStates}, {@code TrainingLoop.parts}).
 * Each part's arithmetic is the single-part arithmetic of its rows; sums over rows (a training step's gradients) are
 * made in part order, so a run repeats bit for bit for a given worker count.
 */
public final class CpuDataParallel {
    public static final String PROPERTY = "clinlora.cpu.workers";
    public static final String ENV = "CLINLORA_CPU_WORKERS";

    private static volatile int workers = configuredWorkers();
    private static final ThreadLocal<Boolean> ON_WORKER = ThreadLocal.withInitial(() -> false);
    private static final AtomicInteger THREAD_NUMBER = new AtomicInteger();
    // Cached: a part per thread, as many threads as parts run at once; idle ones end after a minute.
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(
                () -> {
                    ON_WORKER.set(true);
                    r.run();
                },
                "clinlora-cpu-worker-" + THREAD_NUMBER.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    private CpuDataParallel() {}

    /** The parts a batch of {@code rows} splits into on this device: 1 on a GPU, else min(workers, rows). */
    public static int parts(Compute compute, int rows) {
        if (compute.device().isGpu() || ON_WORKER.get()) return 1;
        return Math.max(1, Math.min(workers, rows));
    }

    /** The worker count (at least 1). */
    public static int workers() {
        return workers;
    }

    /** Sets the worker count for this process (code that embeds the model library, tests); 1 turns it off. */
    public static void setWorkers(int n) {
        if (n < 1) throw new IllegalArgumentException("data-parallel workers must be >= 1, got " + n);
        workers = n;
    }

    /** Row boundaries of {@code parts} near-equal parts of {@code rows}: part i is rows [b[i], b[i + 1]). */
    public static int[] boundaries(int rows, int parts) {
        int[] b = new int[parts + 1];
        for (int i = 0; i <= parts; i++) b[i] = (int) ((long) rows * i / parts);
        return b;
    }

    /**
     * Runs each task on its own worker and returns their results in task order. It returns only once every task has
     * finished, even when one fails or the caller is interrupted (the parts use memory the caller frees next); the
     * first failure is then thrown and an interrupt re-asserted. The caller's libtorch threads are shared among the
     * tasks (at least one each); its own count is restored afterwards (libtorch keeps one process-wide default that a
     * thread's first op reads).
     */
    public static <T> List<T> run(List<Callable<T>> tasks) {
        if (tasks.size() == 1 || ON_WORKER.get()) return runHere(tasks);
        int callerThreads = JniUtils.getNumThreads(), n = tasks.size();
        List<Future<T>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int threads = Math.max(1, callerThreads / n + (i < callerThreads % n ? 1 : 0));
            Callable<T> task = tasks.get(i);
            futures.add(POOL.submit(() -> onWorker(task, threads)));
        }
        List<T> out = new ArrayList<>();
        Throwable failure = null;
        boolean interrupted = false;
        for (Future<T> f : futures) {
            while (true) {
                try {
                    out.add(f.get());
                    break;
                } catch (ExecutionException e) {
                    failure = failure == null ? e.getCause() : failure;
                    out.add(null);
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // keep waiting: the task is still using the caller's step
                }
            }
        }
        JniUtils.setNumThreads(callerThreads);
        if (interrupted) Thread.currentThread().interrupt();
        if (failure instanceof RuntimeException r) throw r;
        if (failure instanceof Error e) throw e;
        if (failure != null) throw new IllegalStateException("a data-parallel part failed", failure);
        return out;
    }

    private static <T> List<T> runHere(List<Callable<T>> tasks) {
        List<T> out = new ArrayList<>();
        for (Callable<T> t : tasks) {
            try {
                out.add(t.call());
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    private static <T> T onWorker(Callable<T> task, int threads) throws Exception {
        if (JniUtils.getNumThreads() != threads) JniUtils.setNumThreads(threads);
        return task.call();
    }

    private static int configuredWorkers() {
        String v = System.getProperty(PROPERTY, System.getenv(ENV));
        if (v == null || v.isBlank()) {
            if ("ACTIVE".equalsIgnoreCase(System.getenv("OMP_WAIT_POLICY"))) return 1;
            Integer omp = positive(System.getenv("OMP_NUM_THREADS"));
            return omp != null ? omp : Runtime.getRuntime().availableProcessors();
        }
        Integer n = positive(v);
        if (n == null)
            throw new IllegalArgumentException(
                    PROPERTY + " / " + ENV + " must be a whole number >= 1, got '" + v + "'");
        return n;
    }

    private static Integer positive(String v) {
        if (v == null) return null;
        try {
            int n = Integer.parseInt(v.trim());
            return n >= 1 ? n : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
