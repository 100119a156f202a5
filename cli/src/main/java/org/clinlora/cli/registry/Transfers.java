package org.clinlora.cli.registry;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Object copies run a few at a time: a registry is thousands of small objects, and one at a time each pays a round trip
 * to the store. The first failure is rethrown after the others finished (nothing is left running).
 */
final class Transfers {
    static final int PARALLEL = 8;

    interface Action<T> {
        void run(T item) throws IOException;
    }

    private Transfers() {}

    static <T> void each(Collection<T> items, Action<T> action) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
        try {
            List<Future<?>> done = new ArrayList<>();
            AtomicBoolean failed = new AtomicBoolean();
            for (T item : items)
                done.add(pool.submit(() -> {
                    if (failed.get()) return null; // one failed: the rest is not started
                    try {
                        action.run(item);
                    } catch (IOException | RuntimeException e) {
                        failed.set(true);
                        throw e;
                    }
                    return null;
                }));
            Throwable first = null;
            for (Future<?> f : done) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (first == null) first = e.getCause();
                }
            }
            if (first instanceof IOException io) throw io;
            if (first instanceof RuntimeException re) throw re;
            if (first != null) throw new IllegalStateException(first);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            pool.shutdownNow();
        }
    }
}
