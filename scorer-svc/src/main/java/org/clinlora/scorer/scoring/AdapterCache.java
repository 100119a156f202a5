package org.clinlora.scorer.scoring;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.platform.failure.Failure;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.failure.UpstreamFailure;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterSource;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.registry.RegistryFailures;
import org.jboss.logging.Logger;

/**
 * Adapter versions resident beside the base model, within a memory budget. A version is downloaded and sha256-verified
 * (a mismatch is refused, never scored with) and read on loader threads, then installed by the model thread between
 * batches ({@link #applyPending}), so loading never blocks scoring with other adapters. Beyond the budget the least
 * recently used versions that no request holds leave ({@link #evict}); a deleted version leaves as soon as no request
 * holds it. An evicted version asked for again before the model thread has removed it comes back as it is (never loaded
 * a second time beside itself), and a request pins its versions only while none of them is leaving, so a batch never
 * scores with a version that was taken out from under it.
 */
@ApplicationScoped
public class AdapterCache {
    private static final Logger LOG = Logger.getLogger(AdapterCache.class);

    /** Reads one version (download, verify, its tensors packed in fp32); its resident size in bytes. */
    public interface Loader {
        Loaded load(AdapterCard card) throws IOException;
    }

    public record Loaded(LoraAdapter adapter, long bytes) {}

    /** Where installed adapters live: the model (or, in unit tests, a stand-in). */
    public interface Host {
        void add(LoraAdapter adapter);

        void remove(String name);
    }

    static final class Entry {
        final AdapterCard card;
        final LoraAdapter adapter;
        final long bytes;
        final AtomicInteger inUse = new AtomicInteger();
        volatile boolean installed;
        /** Leaving: evicted or deleted; guarded by {@code lock}. */
        boolean removed;
        /** Deleted from the registry: never brought back. */
        boolean deleted;
        /** Taken out of the model (or never installed) and freed: gone for good. */
        boolean closed;

        Entry(AdapterCard card, Loaded loaded) {
            this.card = card;
            this.adapter = loaded.adapter();
            this.bytes = loaded.bytes();
        }
    }

    /** The versions a request scores with, held until it is answered ({@link #close}). */
    public final class Lease implements AutoCloseable {
        private final List<Entry> entries;
        private boolean closed;

        Lease(List<Entry> entries) {
            this.entries = entries;
        }

        @Override
        public synchronized void close() {
            if (closed) return;
            closed = true;
            for (Entry e : entries) e.inUse.decrementAndGet();
        }
    }

    private final Loader loader;
    private final long budgetBytes;
    private final Map<String, CompletableFuture<Entry>> cache = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Entry> toInstall = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Entry> toRemove = new ConcurrentLinkedQueue<>();
    private final ExecutorService loaders = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "adapter-loader");
        t.setDaemon(true);
        return t;
    });
    private final Object lock = new Object();
    /** Loaded versions from least to most recently used, and their bytes (guarded by {@code lock}). */
    private final LinkedHashMap<String, Entry> recency = new LinkedHashMap<>(16, 0.75f, true);

    private long residentBytes;
    /** Evicted versions the model thread has not removed yet (guarded by {@code lock}): asked for, they come back. */
    private final Map<String, Entry> leaving = new HashMap<>();
    /** Counters for the metrics: a version found resident or loading, a version read, a version evicted. */
    private final AtomicLong hits = new AtomicLong(), loads = new AtomicLong(), evictions = new AtomicLong();
    /** Told how long each load took (download, verification, read); a no-op until set. */
    private volatile LongConsumer loadNanos = n -> {};

    @Inject
    public AdapterCache(AdapterSource registry, ScoringModel model, ScorerConfig config) {
        this(
                card -> {
                    Path dir = registry.download(
                            card,
                            config.cacheDir()
                                    .resolve("adapters")
                                    .resolve(card.name())
                                    .resolve(String.valueOf(card.version())));
                    LoraAdapter a = PeftAdapterDir.readForServing(model.model(), card.ref(), dir);
                    return new Loaded(a, a.tensorBytes());
                },
                config.adapterCacheMb() << 20);
    }

    public AdapterCache(Loader loader, long budgetBytes) {
        this.loader = loader;
        this.budgetBytes = budgetBytes;
    }

    void onStop(@Observes ShutdownEvent e) {
        loaders.shutdownNow();
    }

    /** Tries at taking a stack whose versions keep being evicted before the request pins them all. */
    static final int ATTEMPTS = 3;

    /** Every version of the task's stack, loaded (or loading finished) and held for one request. */
    public Lease acquire(ScoringTask task) {
        for (int attempt = 1; ; attempt++) {
            List<CompletableFuture<Entry>> loads = new ArrayList<>();
            for (AdapterCard c : task.lineage()) {
                boolean[] missed = {false};
                synchronized (lock) { // an evicted version comes back, never loaded a second time beside itself
                    comeBack(c.ref());
                    loads.add(cache.computeIfAbsent(c.ref(), k -> {
                        missed[0] = true;
                        return CompletableFuture.supplyAsync(() -> load(c), loaders);
                    }));
                }
                if (!missed[0]) hits.incrementAndGet();
            }
            List<Entry> out = new ArrayList<>();
            try {
                for (CompletableFuture<Entry> f : loads) out.add(f.get(5, TimeUnit.MINUTES));
            } catch (ExecutionException e) {
                task.lineage()
                        .forEach(c ->
                                cache.computeIfPresent(c.ref(), (k, f) -> f.isCompletedExceptionally() ? null : f));
                throw failure(task, e.getCause());
            } catch (TimeoutException e) {
                throw new Unavailable("adapter_loading", "adapter " + task.ref() + " is still loading; retry later");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unavailable("interrupted", "interrupted");
            }
            synchronized (lock) {
                if (out.stream().anyMatch(e -> e.deleted))
                    throw new NotFound("adapter " + task.ref() + " was deleted while it was being loaded");
                // One of them was evicted while we waited for another: take them again, never a leaving one.
                if (out.stream().anyMatch(e -> e.removed)) {
                    if (attempt < ATTEMPTS) continue;
                    throw new Unavailable(
                            "adapter_budget",
                            "the adapter memory budget cannot hold the stack of " + task.ref()
                                    + " now; retry later, or raise clinlora.scorer.adapter-cache-mb");
                }
                for (Entry e : out) {
                    e.inUse.incrementAndGet();
                    recency.get(e.card.ref()); // most recently used now
                }
            }
            return new Lease(out);
        }
    }

    /** An evicted version the model thread still holds back into the cache as it is (under {@code lock}). */
    private void comeBack(String ref) {
        Entry e = leaving.remove(ref);
        if (e == null || e.closed || e.deleted) return;
        e.removed = false;
        recency.put(ref, e);
        residentBytes += e.bytes;
        cache.put(ref, CompletableFuture.completedFuture(e));
    }

    /**
     * A deleted version: no new request gets it, and it leaves the model once no request holds it (one still loading
     * leaves as soon as its load ends).
     */
    public void forget(String ref) {
        synchronized (lock) {
            CompletableFuture<Entry> f = cache.remove(ref);
            if (f != null && !f.isDone()) {
                f.thenAccept(this::delete);
                return;
            }
            Entry e = f == null ? leaving.remove(ref) : loaded(f);
            if (e != null) delete(e);
        }
    }

    private void delete(Entry e) {
        synchronized (lock) {
            if (e.deleted) return;
            e.deleted = true;
            leaving.remove(e.card.ref(), e);
            leave(e);
            toRemove.add(e);
        }
    }

    /** Out of the resident set (under {@code lock}): no longer counted against the budget. */
    private void leave(Entry e) {
        if (e.removed) return;
        e.removed = true;
        if (recency.remove(e.card.ref(), e)) residentBytes -= e.bytes;
    }

    /** The entry of a load that finished well, else null (still loading, or failed). */
    private static Entry loaded(CompletableFuture<Entry> f) {
        return f != null && f.isDone() && !f.isCompletedExceptionally() ? f.join() : null;
    }

    /**
     * Model thread, between batches: removes what was evicted or deleted and is idle, then installs what finished
     * loading. A failure here is logged and the rest still applied: the batch that follows must run.
     */
    public void applyPending(Host host) {
        List<Entry> busy = new ArrayList<>();
        for (Entry e; (e = toRemove.poll()) != null; ) {
            synchronized (lock) {
                if (!e.removed || e.closed) continue; // came back, or removed already (queued twice)
                if (e.inUse.get() > 0) {
                    busy.add(e); // a request in flight still scores with it
                    continue;
                }
                e.closed = true;
                leaving.remove(e.card.ref(), e);
            }
            try {
                if (e.installed) host.remove(e.card.ref());
                else if (e.adapter != null) e.adapter.close();
            } catch (RuntimeException failed) {
                LOG.errorf(
                        "adapter %s could not be removed: %s",
                        e.card.ref(), failed.getClass().getName());
            }
            e.installed = false;
        }
        toRemove.addAll(busy);
        for (Entry e; (e = toInstall.poll()) != null; ) {
            synchronized (lock) {
                if (e.removed) continue; // deleted before it was ever installed: its removal frees it
            }
            try {
                host.add(e.adapter);
                e.installed = true;
            } catch (RuntimeException failed) {
                LOG.errorf(
                        "adapter %s could not be installed: %s",
                        e.card.ref(), failed.getClass().getName());
                Entry gone = e;
                synchronized (lock) { // out of the cache for good: the next request loads it again
                    cache.computeIfPresent(gone.card.ref(), (k, f) -> loaded(f) == gone ? null : f);
                    leave(gone);
                    gone.closed = true;
                }
                if (gone.adapter != null) gone.adapter.close();
            }
        }
    }

    /** Beyond the budget, the least recently used idle installed versions are marked for removal. */
    public void evict() {
        synchronized (lock) {
            if (residentBytes <= budgetBytes) return;
            for (var it = recency.values().iterator(); it.hasNext() && residentBytes > budgetBytes; ) {
                Entry e = it.next();
                if (e.inUse.get() > 0 || !e.installed) continue;
                it.remove();
                cache.remove(e.card.ref());
                e.removed = true;
                leaving.put(e.card.ref(), e);
                residentBytes -= e.bytes;
                toRemove.add(e);
                evictions.incrementAndGet();
                LOG.debugf("adapter %s evicted (least recently used)", e.card.ref());
            }
        }
    }

    /** Resident versions (loaded, not leaving): how many, and their bytes. */
    public long[] stats() {
        synchronized (lock) {
            return new long[] {recency.size(), residentBytes};
        }
    }

    /** Tells {@code listener} the nanoseconds of each load (download, verification, read) from now on. */
    public void onLoad(LongConsumer listener) {
        loadNanos = listener;
    }

    /** Since start: versions found in the cache, versions loaded, versions evicted. */
    public long[] counts() {
        return new long[] {hits.get(), loads.get(), evictions.get()};
    }

    /** Whether a version is resident (loaded and not evicted). */
    public boolean holds(String ref) {
        return loaded(cache.get(ref)) != null;
    }

    private Entry load(AdapterCard card) {
        try {
            long t0 = System.nanoTime();
            Entry e = new Entry(card, loader.load(card));
            loadNanos.accept(System.nanoTime() - t0);
            loads.incrementAndGet();
            synchronized (lock) {
                recency.put(card.ref(), e);
                residentBytes += e.bytes;
            }
            toInstall.add(e);
            LOG.debugf("adapter %s loaded (%d KiB)", card.ref(), e.bytes >> 10);
            return e;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Failure failure(ScoringTask task, Throwable cause) {
        if (cause instanceof Failure f) return f;
        if (cause instanceof UncheckedIOException io) cause = io.getCause();
        if (cause instanceof RegistryClient.RegistryException || cause instanceof IOException) {
            return RegistryFailures.of((Exception) cause, task.ref());
        }
        return new UpstreamFailure(
                "adapter_unavailable",
                "adapter " + task.ref() + " could not be loaded ("
                        + cause.getClass().getSimpleName() + ")");
    }
}
