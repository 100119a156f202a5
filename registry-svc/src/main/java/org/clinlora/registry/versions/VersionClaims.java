package org.clinlora.registry.versions;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.registry.store.StoreJson;

/**
 * The version-number claim protocol. A number n is claimed by creating {@code adapters/{name}/{n}/.claim} with
 * {@code If-None-Match: *}: of two publishers (threads or replicas) racing for n, exactly one wins and the other moves
 * on to n+1. A claim without a card is an unfinished publish: invisible, and removed by {@link #cleanLeftovers} once
 * old enough. Deleted versions keep their claim and a tombstone, so a number is never reused for different bytes.
 */
@ApplicationScoped
public class VersionClaims {
    private final BlobStore store;

    public VersionClaims(BlobStore store) {
        this.store = store;
    }

    /** The next free version number, claimed atomically. */
    public int claim(String name) {
        int next = claimed(name).stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        byte[] claim = StoreJson.bytes(Map.of(
                "claimedAt",
                Instant.now().toString(),
                "claimId",
                UUID.randomUUID().toString()));
        for (int attempt = 0; attempt < 1000; attempt++, next++) {
            if (store.putIfAbsent(StoreLayout.version(name, next) + StoreLayout.CLAIM, claim)) return next;
        }
        throw new Conflict("could not claim a version of " + name + " after 1000 attempts");
    }

    /** Every number ever claimed for the name (visible, deleted or unfinished). */
    public List<Integer> claimed(String name) {
        List<Integer> out = new ArrayList<>();
        String prefix = StoreLayout.adapter(name);
        for (String p : store.listPrefixes(prefix)) {
            String seg = p.substring(prefix.length(), p.length() - 1);
            if (seg.matches("[1-9][0-9]{0,8}")) out.add(Integer.parseInt(seg));
        }
        return out;
    }

    /** Adapter names in the store, in key order. */
    public List<String> names() {
        List<String> all = new ArrayList<>();
        String root = StoreLayout.adapters();
        for (String p : store.listPrefixes(root)) all.add(p.substring(root.length(), p.length() - 1));
        return all;
    }

    /** Removes a version folder; the claim goes last, so while any file remains the number stays taken. */
    public void removeFolder(String prefix) {
        List<String> keys = new ArrayList<>(store.list(prefix));
        keys.sort((a, b) -> Boolean.compare(a.endsWith(StoreLayout.CLAIM), b.endsWith(StoreLayout.CLAIM)));
        for (String k : keys) store.delete(k);
    }

    /**
     * Removes what interrupted publishes left behind: version folders with a claim older than {@code olderThan} but no
     * card and no tombstone. Returns how many were removed.
     */
    public int cleanLeftovers(Duration olderThan) {
        int removed = 0;
        Instant cutoff = Instant.now().minus(olderThan);
        for (String name : names()) {
            if (!StoreLayout.NAME.matcher(name).matches()) continue;
            for (int v : claimed(name)) {
                String dir = StoreLayout.version(name, v);
                List<String> keys = store.list(dir);
                if (keys.contains(dir + StoreLayout.CARD) || keys.contains(dir + StoreLayout.DELETED)) continue;
                Instant claimedAt = store.getBytes(dir + StoreLayout.CLAIM)
                        .map(VersionClaims::claimedAt)
                        .orElse(Instant.EPOCH);
                if (claimedAt.isBefore(cutoff)) {
                    removeFolder(dir);
                    removed++;
                }
            }
        }
        return removed;
    }

    private static Instant claimedAt(byte[] claim) {
        try {
            return Instant.parse(
                    StoreJson.read(claim, JsonNode.class).path("claimedAt").asText());
        } catch (RuntimeException e) {
            return Instant.EPOCH;
        }
    }
}
