package org.clinlora.platform.jobs;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;

/**
 * Who runs a job when several replicas share one store: a lease per job, held by one owner until it expires.
 *
 * <p>S3 has create-only writes ({@code If-None-Match: *}) but no compare-and-swap, so a lease is a chain of
 * generations: {@code job-leases/{kind}/{job}/{generation}}, each object created create-only. The newest generation is
 * the lease. Claiming, renewing, releasing and taking over are all "create the next generation": of two replicas racing
 * for the same generation exactly one wins. A generation may be created only when the newest one is released, expired,
 * or the creator's own (the same owner id after a restart: its old process is gone). Older generations are deleted
 * after each step. The owner renews every third of the time to live; an owner that could not renew within the time to
 * live counts its lease as lost ({@link Held#lost()}) and stops, since another replica may have taken it.
 */
public final class JobLeases {
    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** One generation of a lease as stored. {@code expiresAt}: epoch milliseconds of the owner's clock. */
    public record Lease(String owner, long expiresAt, boolean released) {}

    private final BlobStore store;
    private final String prefix;
    private final String owner;
    private final Duration ttl;
    private final LongSupplier clock;

    public JobLeases(BlobStore store, String kind, String owner, Duration ttl) {
        this(store, kind, owner, ttl, System::currentTimeMillis);
    }

    public JobLeases(BlobStore store, String kind, String owner, Duration ttl, LongSupplier clock) {
        if (owner == null || owner.isBlank()) throw new IllegalArgumentException("a lease owner id is required");
        if (ttl.toMillis() < 300) throw new IllegalArgumentException("clinlora.jobs.lease-ttl must be at least 300 ms");
        this.store = store;
        this.prefix = StoreLayout.jobLeases(kind);
        this.owner = owner;
        this.ttl = ttl;
        this.clock = clock;
    }

    public String owner() {
        return owner;
    }

    public Duration ttl() {
        return ttl;
    }

    /** The job's newest lease generation, if any. */
    public Optional<Lease> current(String jobId) {
        return newest(jobId).map(g -> g.lease);
    }

    /** Whether this owner could claim the job now: no lease, or one that is released, expired or its own. */
    public boolean claimable(String jobId) {
        return newest(jobId).map(g -> open(g.lease)).orElse(true);
    }

    /** Claims the job for this owner; empty when another owner holds a live lease or won the race for it. */
    public Optional<Held> claim(String jobId) {
        Optional<Generation> top = newest(jobId);
        if (top.isPresent() && !open(top.get().lease)) return Optional.empty();
        long next = top.map(g -> g.number + 1).orElse(0L);
        Held h = new Held(jobId, next - 1);
        return h.advance(false) ? Optional.of(h) : Optional.empty();
    }

    /** A lease this owner holds. Renew it more often than the time to live; release it when the job has ended. */
    public final class Held {
        private final String jobId;
        private long generation;
        private volatile long renewedAt; // written by the renewal thread, read by the job's own thread (lost())
        private volatile boolean lost;

        private Held(String jobId, long generation) {
            this.jobId = jobId;
            this.generation = generation;
        }

        public String jobId() {
            return jobId;
        }

        /** Extends the lease; false (and {@link #lost()} from then on) when another owner has taken it. */
        public synchronized boolean renew() {
            if (lost) return false;
            if (clock.getAsLong() - renewedAt >= ttl.toMillis()) { // not renewed in time: another may hold it now
                lost = true;
                return false;
            }
            if (!advance(false)) lost = true;
            return !lost;
        }

        /** Gives the lease up, so another replica may claim the job at once (it finds the job's record finished). */
        public synchronized void release() {
            if (!lost) advance(true);
        }

        /** True once this owner can no longer be sure it holds the lease: the job must stop without recording more. */
        public boolean lost() {
            return lost || clock.getAsLong() - renewedAt >= ttl.toMillis();
        }

        private boolean advance(boolean released) {
            long now = clock.getAsLong();
            long next = generation + 1;
            if (!store.putIfAbsent(key(jobId, next), json(new Lease(owner, now + ttl.toMillis(), released))))
                return false;
            for (long g = generation; g >= 0 && g >= generation - 1; g--) store.delete(key(jobId, g));
            generation = next;
            renewedAt = now;
            return true;
        }
    }

    private boolean open(Lease l) {
        return l.released() || l.expiresAt() <= clock.getAsLong() || l.owner().equals(owner);
    }

    private record Generation(long number, Lease lease) {}

    /**
     * The newest generation. The chain never empties (the last generation is kept, released or not), so when the newest
     * listed object is gone by the time it is read, its successor exists: list again.
     */
    private Optional<Generation> newest(String jobId) {
        for (int attempt = 0; attempt < 10; attempt++) {
            List<String> keys = store.list(prefix + StoreLayout.requireName(jobId) + "/");
            if (keys.isEmpty()) return Optional.empty();
            String k = keys.get(keys.size() - 1);
            Optional<byte[]> b = store.getBytes(k);
            if (b.isEmpty()) continue;
            try {
                return Optional.of(new Generation(
                        Long.parseLong(k.substring(k.lastIndexOf('/') + 1)), JSON.readValue(b.get(), Lease.class)));
            } catch (IOException | NumberFormatException e) {
                throw new IllegalStateException("lease object " + k + " is not readable");
            }
        }
        throw new IllegalStateException("the lease of job " + jobId + " changes faster than it can be read");
    }

    private String key(String jobId, long generation) {
        return prefix + StoreLayout.requireName(jobId) + "/" + String.format("%019d", generation);
    }

    private static byte[] json(Lease l) {
        try {
            return JSON.writeValueAsBytes(l);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
