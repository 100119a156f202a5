package org.clinlora.scorer.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.platform.failure.IntegrityFailure;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.registry.RegistryClient;
import org.junit.jupiter.api.Test;

/** The adapter cache without a model or a registry: LRU eviction within the budget, leases, deletion, failures. */
class AdapterCacheTest {
    /** Records what the model thread would install and remove. */
    static class Host implements AdapterCache.Host {
        final List<String> removed = new ArrayList<>();
        int added;

        @Override
        public void add(LoraAdapter adapter) {
            added++;
        }

        @Override
        public void remove(String name) {
            removed.add(name);
        }
    }

    static ScoringTask task(String name) {
        return new ScoringTask(name, 1, List.of(TaskResolverTest.card(name, 1, "tiny", List.of("0", "1"), null)));
    }

    @Test
    void leastRecentlyUsedIdleVersionsLeaveBeyondTheBudget() {
        AtomicInteger loads = new AtomicInteger();
        AdapterCache cache = new AdapterCache(
                card -> {
                    loads.incrementAndGet();
                    return new AdapterCache.Loaded(null, 600);
                },
                1000);
        Host host = new Host();
        cache.acquire(task("a")).close();
        cache.applyPending(host);
        AdapterCache.Lease b = cache.acquire(task("b"));
        cache.applyPending(host);
        assertEquals(2, host.added);
        cache.evict();
        cache.applyPending(host);
        assertEquals(List.of("a@1"), host.removed, "1200 bytes > 1000: the idle, older 'a' goes");
        assertTrue(cache.holds("b@1"));
        assertFalse(cache.holds("a@1"));

        cache.acquire(task("c")).close();
        cache.applyPending(host);
        cache.evict();
        cache.applyPending(host);
        assertEquals(List.of("a@1", "c@1"), host.removed, "'b' is held by a request: the idle 'c' goes instead");
        b.close();
        cache.acquire(task("a")).close();
        assertEquals(4, loads.get(), "an evicted version is loaded again when asked for");
    }

    /**
     * A request that found a version resident and then waited for another of its stack must not pin the first after it
     * was evicted meanwhile: it takes it back (as it is, not loaded again), and the model thread keeps it.
     */
    @Test
    void aVersionEvictedWhileARequestWaitsForItsStackComesBackAndStays() throws Exception {
        CountDownLatch childLoading = new CountDownLatch(1), release = new CountDownLatch(1);
        AtomicInteger loads = new AtomicInteger();
        AdapterCache cache = new AdapterCache(
                card -> {
                    loads.incrementAndGet();
                    if (card.name().equals("child")) {
                        childLoading.countDown();
                        try {
                            release.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return new AdapterCache.Loaded(null, 600);
                },
                500);
        Host host = new Host();
        cache.acquire(task("root")).close();
        cache.applyPending(host);
        ScoringTask stack = new ScoringTask(
                "child",
                1,
                List.of(
                        TaskResolverTest.card("root", 1, "tiny", List.of("0", "1"), null),
                        TaskResolverTest.card("child", 1, "tiny", List.of("0", "1"), null)));
        ExecutorService request = Executors.newSingleThreadExecutor();
        try {
            Future<AdapterCache.Lease> lease = request.submit(() -> cache.acquire(stack));
            assertTrue(childLoading.await(30, TimeUnit.SECONDS));
            cache.evict(); // 600 bytes > 500: the idle root leaves while the request waits for child
            assertFalse(cache.holds("root@1"));
            release.countDown();
            try (AdapterCache.Lease held = lease.get(30, TimeUnit.SECONDS)) {
                assertTrue(cache.holds("root@1"), "the request took root back");
                cache.applyPending(host);
                assertEquals(List.of(), host.removed, "root stays in the model: a request holds it");
                assertEquals(2, host.added, "root installed once, child once");
                assertEquals(2, loads.get(), "root was not loaded a second time");
            }
        } finally {
            request.shutdownNow();
        }
    }

    @Test
    void anEvictedVersionAskedForAgainBeforeItIsRemovedIsNotLoadedTwice() {
        AtomicInteger loads = new AtomicInteger();
        AdapterCache cache = new AdapterCache(
                card -> {
                    loads.incrementAndGet();
                    return new AdapterCache.Loaded(null, 600);
                },
                500);
        Host host = new Host();
        cache.acquire(task("a")).close();
        cache.applyPending(host);
        cache.evict();
        assertFalse(cache.holds("a@1"));
        AdapterCache.Lease again = cache.acquire(task("a")); // before the model thread took it out
        cache.applyPending(host);
        assertEquals(1, loads.get());
        assertEquals(1, host.added);
        assertEquals(List.of(), host.removed);
        assertEquals(600, cache.stats()[1], "counted once, as resident");
        again.close();
    }

    /** A host that refuses an adapter (the model's "already loaded") does not stop the rest from being applied. */
    @Test
    void aFailedInstallIsLoggedAndTheRestIsStillApplied() {
        AdapterCache cache = new AdapterCache(card -> new AdapterCache.Loaded(null, 10), 1 << 20);
        Host refusing = new Host() {
            @Override
            public void add(LoraAdapter adapter) {
                if (added++ == 0) throw new IllegalArgumentException("an adapter named 'x' is already loaded");
            }
        };
        cache.acquire(task("a")).close();
        cache.acquire(task("b")).close();
        cache.applyPending(refusing); // must not throw: the batch after it still runs
        assertEquals(2, refusing.added);
    }

    @Test
    void aVersionDeletedWhileItLoadsIsNeverInstalledNorCounted() throws Exception {
        CountDownLatch loading = new CountDownLatch(1), release = new CountDownLatch(1);
        AdapterCache cache = new AdapterCache(
                card -> {
                    loading.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return new AdapterCache.Loaded(null, 600);
                },
                1 << 20);
        Host host = new Host();
        ExecutorService request = Executors.newSingleThreadExecutor();
        try {
            Future<AdapterCache.Lease> lease = request.submit(() -> cache.acquire(task("los")));
            assertTrue(loading.await(30, TimeUnit.SECONDS));
            cache.forget("los@1");
            release.countDown();
            ExecutionException refused = assertThrows(ExecutionException.class, () -> lease.get(30, TimeUnit.SECONDS));
            assertTrue(refused.getCause() instanceof NotFound, String.valueOf(refused.getCause()));
            cache.applyPending(host);
            assertEquals(0, host.added, "a deleted version is never installed");
            assertEquals(0, cache.stats()[0]);
            assertEquals(0, cache.stats()[1], "nor counted against the budget");
        } finally {
            request.shutdownNow();
        }
    }

    @Test
    void askingWhetherAFailedLoadIsHeldOrForgettingItIsNoError() {
        AdapterCache cache = new AdapterCache(
                card -> {
                    throw new IOException("registry unreachable");
                },
                1 << 20);
        assertThrows(Unavailable.class, () -> cache.acquire(task("los")));
        assertFalse(cache.holds("los@1"));
        cache.forget("los@1");
    }

    @Test
    void aDeletedVersionLeavesOnceNoRequestHoldsIt() {
        AdapterCache cache = new AdapterCache(card -> new AdapterCache.Loaded(null, 10), 1 << 20);
        Host host = new Host();
        AdapterCache.Lease inFlight = cache.acquire(task("los"));
        cache.applyPending(host);
        cache.forget("los@1");
        assertFalse(cache.holds("los@1"), "no new request gets it");
        cache.applyPending(host);
        assertEquals(List.of(), host.removed, "the request in flight finishes with it");
        inFlight.close();
        cache.applyPending(host);
        assertEquals(List.of("los@1"), host.removed);
    }

    @Test
    void aFailedLoadIsNotCachedAndATamperedOneIsAnIntegrityError() {
        AtomicInteger attempts = new AtomicInteger();
        AdapterCache cache = new AdapterCache(
                card -> {
                    if (attempts.incrementAndGet() == 1) throw new IOException("registry unreachable");
                    throw new RegistryClient.RegistryException(
                            200, card.ref() + "/adapter_model.safetensors does not match the sha256 in its card", true);
                },
                1 << 20);
        assertThrows(Unavailable.class, () -> cache.acquire(task("los")));
        IntegrityFailure second = assertThrows(IntegrityFailure.class, () -> cache.acquire(task("los")));
        assertEquals("integrity_error", second.reason());
        assertEquals(2, attempts.get(), "each failure is retried by the next request, never cached");
    }
}
