package org.clinlora.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.clinlora.core.api.ApiException;
import org.clinlora.core.events.AdapterDeleted;
import org.clinlora.core.events.AdapterPublished;
import org.clinlora.core.events.AliasMoved;
import org.clinlora.core.io.AdapterCard;
import org.clinlora.core.io.Sha256;
import org.clinlora.core.model.LlamaConfig;
import org.clinlora.core.store.ObjectStore;
import org.clinlora.core.store.StoreLayout;
import org.clinlora.registry.messaging.RegistryEvents;
import org.clinlora.registry.store.Store;
import org.jboss.logging.Logger;

/**
 * Versions, aliases and lineage of named LoRA adapters, kept entirely in the object store.
 *
 * <ul>
 *   <li>A version number is claimed by creating {@code adapters/{name}/{n}/.claim} with {@code If-None-Match: *}: of
 *       two publishers (threads or replicas) racing for n, exactly one wins and the other moves on to n+1.</li>
 *   <li>A version becomes visible when its {@code card.json} is written, last, after every file is stored and read
 *       back with the expected size and sha256. Leftovers of an interrupted publish (a claim with no card) are
 *       invisible and removed by {@link #cleanLeftovers}. Deleted versions keep their claim and a tombstone, so a
 *       number is never reused for different bytes.</li>
 *   <li>An alias is an append-only log in the store; a move creates the next entry with {@code If-None-Match: *},
 *       which makes it a compare-and-set on the alias's current state. The log is the alias's history.</li>
 * </ul>
 */
@ApplicationScoped
public class AdapterRegistry {
    private static final Logger LOG = Logger.getLogger(AdapterRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_LINEAGE = 16;

    /** What a publisher says about a version besides its files. */
    public record PublishRequest(String task, List<String> labelNames, String baseModelId, String parent,
                                 List<String> datasetIds, Map<String, Object> trainingConfig, Map<String, Double> metrics,
                                 String publishedBy) {}

    public record Resolved(String name, int version, AdapterCard card, List<AdapterCard> lineage) {}

    public record AliasChange(int version, Integer previousVersion, String movedAt, String movedBy) {}

    public record AliasState(String name, String alias, int version, List<AliasChange> history) {}

    private final Store store;
    private final RegistryEvents events;
    private final MeterRegistry meters;

    public AdapterRegistry(Store store, RegistryEvents events, MeterRegistry meters) {
        this.store = store;
        this.events = events;
        this.meters = meters;
    }

    // ---- publish ----------------------------------------------------------------------------------------------

    /** Validates and stores a new version from local files (named as in a PEFT directory). */
    public AdapterCard publish(String name, Map<String, Path> files, PublishRequest req) {
        Timer.Sample t = Timer.start(meters);
        String outcome = "error";
        try {
            AdapterCard card = doPublish(name, files, req);
            outcome = "ok";
            return card;
        } catch (ApiException e) {
            outcome = e.code();
            throw e;
        } finally {
            t.stop(meters.timer("clinlora.registry.publish.latency", "outcome", outcome));
            meters.counter("clinlora.registry.publish", "outcome", outcome).increment();
        }
    }

    /**
     * Publishes the PEFT files a trainer already wrote under {@code sourcePrefix} in the store: they are downloaded,
     * validated and stored as a new version exactly like an upload; the source objects are left as they are.
     */
    public AdapterCard publishFromStore(String name, String sourcePrefix, PublishRequest req) {
        if (sourcePrefix == null || sourcePrefix.isBlank() || sourcePrefix.contains("..") || sourcePrefix.startsWith("/")
                || sourcePrefix.startsWith(StoreLayout.adapters()) || !sourcePrefix.endsWith("/")) {
            throw ApiException.invalid("sourcePrefix must be a folder in the bucket ending in '/', outside adapters/");
        }
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("clinlora-publish-");
            Map<String, Path> files = new LinkedHashMap<>();
            for (String key : store.list(sourcePrefix)) {
                String file = key.substring(sourcePrefix.length());
                if (file.contains("/")) continue; // only the folder itself, as a PEFT directory
                Path local = tmp.resolve(file.isEmpty() ? "_" : file);
                try (InputStream in = store.open(key)) {
                    Files.copy(in, local);
                }
                files.put(file, local);
            }
            if (files.isEmpty()) throw ApiException.notFound("no objects under " + sourcePrefix);
            return publish(name, files, req);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            Path dir = tmp;
            if (dir != null) quietly(() -> org.clinlora.core.io.PeftAdapterDir.deleteTree(dir));
        }
    }

    private AdapterCard doPublish(String name, Map<String, Path> files, PublishRequest req) {
        requireName(name);
        if (req == null) throw ApiException.invalid("card fields are required");
        if (req.task() == null || req.task().isBlank()) throw ApiException.invalid("card.task is required");
        if (req.baseModelId() == null) throw ApiException.invalid("card.baseModelId is required");
        requireName(req.baseModelId());
        LlamaConfig base = store.models().config(req.baseModelId())
                .orElseThrow(() -> ApiException.unprocessable("invalid_adapter", "unknown base model '" + req.baseModelId() + "' (no models/" + req.baseModelId() + "/manifest.json in the store)"));
        String baseSha = store.models().manifestSha256(req.baseModelId()).orElseThrow();
        AdapterValidator.Result v = AdapterValidator.validate(files, base);
        if (v.config().savesScore()) {
            if (req.labelNames() == null || req.labelNames().size() != v.numLabels()) {
                throw ApiException.unprocessable("invalid_adapter", "labelNames must name the " + v.numLabels() + " labels of the score head");
            }
        }
        AdapterCard parent = null;
        if (req.parent() != null) {
            parent = resolve(req.parent()).card();
            if (!parent.baseModel().id().equals(req.baseModelId())) {
                throw ApiException.unprocessable("invalid_adapter", "parent " + parent.ref() + " was trained on base model '" + parent.baseModel().id() + "', not '" + req.baseModelId() + "'");
            }
        }
        Map<String, AdapterCard.FileEntry> entries = new TreeMap<>();
        try {
            for (Map.Entry<String, Path> f : files.entrySet()) {
                entries.put(f.getKey(), new AdapterCard.FileEntry(Sha256.of(f.getValue()), Files.size(f.getValue())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        int version = claimVersion(name);
        String dir = StoreLayout.version(name, version);
        String childMarker = parent == null ? null : StoreLayout.children(parent.name(), parent.version()) + name + "@" + version;
        boolean visible = false;
        try {
            for (Map.Entry<String, Path> f : files.entrySet()) {
                store.put(dir + f.getKey(), f.getValue(), Map.of("sha256", entries.get(f.getKey()).sha256()));
            }
            for (Map.Entry<String, AdapterCard.FileEntry> e : entries.entrySet()) verifyStored(dir + e.getKey(), e.getValue());
            if (childMarker != null) {
                store.put(childMarker, new byte[0], Map.of());
                if (card(parent.name(), parent.version()).isEmpty()) throw ApiException.conflict("parent " + parent.ref() + " was deleted during publication");
            }
            AdapterCard card = new AdapterCard(AdapterCard.SCHEMA_VERSION, name, version, req.task(), v.config().taskType(),
                    req.labelNames() == null ? List.of() : List.copyOf(req.labelNames()),
                    new AdapterCard.BaseModel(req.baseModelId(), baseSha), parent == null ? null : parent.ref(),
                    req.datasetIds() == null ? List.of() : List.copyOf(req.datasetIds()),
                    req.trainingConfig() == null ? Map.of() : req.trainingConfig(),
                    req.metrics() == null ? Map.of() : req.metrics(), entries, Instant.now().toString(),
                    req.publishedBy() == null || req.publishedBy().isBlank() ? "anonymous" : req.publishedBy());
            if (!store.putIfAbsent(dir + StoreLayout.CARD, card.toJson())) throw ApiException.conflict(dir + " already has a card");
            visible = true;
            meters.counter("clinlora.registry.publish.bytes").increment(entries.values().stream().mapToLong(AdapterCard.FileEntry::size).sum());
            events.emit(name, AdapterPublished.of(name, version, card.task(), card.parent(), req.baseModelId()));
            return card;
        } finally {
            if (!visible) {
                // Never leave half a version: remove what this attempt wrote, claim included (the number was never seen).
                quietly(() -> deleteAll(dir));
                if (childMarker != null) quietly(() -> store.delete(childMarker));
            }
        }
    }

    private void verifyStored(String key, AdapterCard.FileEntry want) {
        try (InputStream in = store.open(key)) {
            CountingStream counted = new CountingStream();
            String sha = Sha256.copy(in, counted);
            if (counted.count != want.size() || !sha.equals(want.sha256())) {
                throw ApiException.integrity(key + " reads back " + counted.count + " bytes with sha256 " + sha + ", expected " + want.size() + " bytes " + want.sha256());
            }
        } catch (IOException e) {
            throw new ObjectStore.StoreException("reading back " + key + ": " + e.getMessage(), e);
        }
    }

    /** The next free version number, claimed atomically. */
    private int claimVersion(String name) {
        int next = claimedVersions(name).stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        byte[] claim = json(Map.of("claimedAt", Instant.now().toString(), "claimId", UUID.randomUUID().toString()));
        for (int attempt = 0; attempt < 1000; attempt++, next++) {
            if (store.putIfAbsent(StoreLayout.version(name, next) + StoreLayout.CLAIM, claim)) return next;
        }
        throw ApiException.conflict("could not claim a version of " + name + " after 1000 attempts");
    }

    private List<Integer> claimedVersions(String name) {
        List<Integer> out = new ArrayList<>();
        String prefix = StoreLayout.adapter(name);
        for (String p : store.listPrefixes(prefix)) {
            String seg = p.substring(prefix.length(), p.length() - 1);
            if (seg.matches("[1-9][0-9]{0,8}")) out.add(Integer.parseInt(seg));
        }
        return out;
    }

    // ---- read -------------------------------------------------------------------------------------------------

    /** Adapter names in order, {@code limit} from {@code offset}. */
    public List<String> names(int offset, int limit) {
        List<String> all = new ArrayList<>();
        for (String p : store.listPrefixes(StoreLayout.adapters())) all.add(p.substring(StoreLayout.adapters().length(), p.length() - 1));
        return all.subList(Math.min(offset, all.size()), Math.min(all.size(), offset + limit));
    }

    /** Visible versions of a name, oldest first. */
    public List<AdapterCard> versions(String name) {
        requireName(name);
        List<AdapterCard> out = new ArrayList<>();
        for (int v : claimedVersions(name).stream().sorted().toList()) card(name, v).ifPresent(out::add);
        return out;
    }

    public Optional<AdapterCard> card(String name, int version) {
        return store.getBytes(StoreLayout.version(name, version) + StoreLayout.CARD).map(AdapterCard::parse);
    }

    public AdapterCard requireCard(String name, int version) {
        return card(requireName(name), version).orElseThrow(() -> ApiException.notFound("no version " + version + " of adapter '" + name + "'"));
    }

    /** {@code name}, {@code name@version} or {@code name@alias} (a bare name means its production alias). */
    public Resolved resolve(String ref) {
        if (ref == null || ref.isBlank()) throw ApiException.invalid("empty adapter reference");
        int at = ref.indexOf('@');
        String name = requireName(at < 0 ? ref : ref.substring(0, at));
        return resolve(name, at < 0 ? "production" : ref.substring(at + 1));
    }

    public Resolved resolve(String name, String versionOrAlias) {
        int version;
        if (versionOrAlias.matches("[0-9]{1,9}")) {
            version = Integer.parseInt(versionOrAlias);
        } else {
            requireAlias(versionOrAlias);
            version = alias(name, versionOrAlias).map(AliasState::version)
                    .orElseThrow(() -> ApiException.notFound("adapter '" + name + "' has no alias '" + versionOrAlias + "'"));
        }
        AdapterCard card = requireCard(name, version);
        List<AdapterCard> lineage = new ArrayList<>();
        lineage.add(card);
        for (AdapterCard c = card; c.parent() != null; ) {
            if (lineage.size() > MAX_LINEAGE) throw ApiException.conflict("lineage of " + card.ref() + " is deeper than " + MAX_LINEAGE);
            String p = c.parent();
            int pv = Integer.parseInt(p.substring(p.indexOf('@') + 1));
            c = card(p.substring(0, p.indexOf('@')), pv).orElseThrow(() -> ApiException.conflict("parent " + p + " is missing"));
            lineage.add(0, c);
        }
        return new Resolved(name, version, card, lineage);
    }

    /** A downloaded file that matched its card, and the card's entry for it. */
    public record Verified(Path file, AdapterCard.FileEntry entry) {}

    /** A presigned URL and the entry the client should verify the bytes against. */
    public record Presigned(String url, AdapterCard.FileEntry entry) {}

    /**
     * A stored file, downloaded to a temp file and checked against the sha256 and size the card recorded. Tampered
     * or truncated bytes are an integrity error and are never returned. The caller deletes the file.
     */
    public Verified fetchVerified(String name, int version, String file) {
        Timer.Sample t = Timer.start(meters);
        AdapterCard card = requireCard(name, version);
        AdapterCard.FileEntry want = card.files().get(file);
        if (want == null) throw ApiException.notFound(card.ref() + " has no file '" + file + "'");
        String key = StoreLayout.version(name, version) + file;
        Path tmp = null;
        try {
            tmp = Files.createTempFile("clinlora-download-", ".part");
            String sha;
            try (InputStream in = store.open(key); OutputStream out = Files.newOutputStream(tmp)) {
                sha = Sha256.copy(in, out);
            }
            long size = Files.size(tmp);
            if (!sha.equals(want.sha256()) || size != want.size()) {
                meters.counter("clinlora.registry.integrity.failures").increment();
                LOG.errorf("integrity failure: %s has sha256 %s (%d bytes), card says %s (%d bytes)", key, sha, size, want.sha256(), want.size());
                throw ApiException.integrity(key + " does not match the sha256 recorded when it was published; refusing to serve it");
            }
            meters.counter("clinlora.registry.download").increment();
            meters.counter("clinlora.registry.download.bytes").increment(size);
            t.stop(meters.timer("clinlora.registry.download.latency"));
            Verified ok = new Verified(tmp, want);
            tmp = null;
            return ok;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            Path leftover = tmp;
            if (leftover != null) quietly(() -> Files.deleteIfExists(leftover));
        }
    }

    public Presigned presignedUrl(String name, int version, String file, int seconds) {
        AdapterCard card = requireCard(name, version);
        AdapterCard.FileEntry entry = card.files().get(file);
        if (entry == null) throw ApiException.notFound(card.ref() + " has no file '" + file + "'");
        if (seconds < 1 || seconds > 7 * 24 * 3600) throw ApiException.invalid("expiry must be between 1 s and 7 days");
        return new Presigned(store.presignedGet(StoreLayout.version(name, version) + file, seconds), entry);
    }

    // ---- aliases ----------------------------------------------------------------------------------------------

    public Optional<AliasState> alias(String name, String alias) {
        List<AliasChange> log = aliasLog(name, alias);
        return log.isEmpty() ? Optional.empty() : Optional.of(new AliasState(name, alias, log.get(log.size() - 1).version(), log));
    }

    public List<AliasState> aliases(String name) {
        List<AliasState> out = new ArrayList<>();
        String prefix = StoreLayout.aliases(name);
        for (String p : store.listPrefixes(prefix)) alias(name, p.substring(prefix.length(), p.length() - 1)).ifPresent(out::add);
        return out;
    }

    private List<AliasChange> aliasLog(String name, String alias) {
        List<AliasChange> log = new ArrayList<>();
        for (String key : store.list(StoreLayout.aliasLog(name, alias))) {
            if (key.endsWith(".json")) store.getBytes(key).map(b -> read(b, AliasChange.class)).ifPresent(log::add);
        }
        return log;
    }

    /**
     * Points {@code alias} at {@code version} if it currently points at {@code expectedVersion} (null: the alias must
     * not exist yet). The move is the create-only write of the log's next entry, so of two concurrent moves from the
     * same state exactly one succeeds; the other is a conflict.
     */
    public AliasState moveAlias(String name, String alias, int version, Integer expectedVersion, String movedBy) {
        requireName(name);
        requireAlias(alias);
        requireCard(name, version);
        List<AliasChange> log = aliasLog(name, alias);
        Integer actual = log.isEmpty() ? null : log.get(log.size() - 1).version();
        if (!java.util.Objects.equals(actual, expectedVersion)) {
            throw ApiException.conflict("alias '" + alias + "' of " + name + " points at " + (actual == null ? "nothing" : "version " + actual)
                    + ", not " + (expectedVersion == null ? "nothing" : "version " + expectedVersion));
        }
        AliasChange change = new AliasChange(version, actual, Instant.now().toString(), movedBy == null || movedBy.isBlank() ? "anonymous" : movedBy);
        if (!store.putIfAbsent(StoreLayout.aliasEntry(name, alias, log.size() + 1), json(change))) {
            throw ApiException.conflict("alias '" + alias + "' of " + name + " was moved concurrently; read it again and retry");
        }
        log.add(change);
        events.emit(name, AliasMoved.of(name, alias, version, actual));
        return new AliasState(name, alias, version, log);
    }

    // ---- delete -----------------------------------------------------------------------------------------------

    /** Deletes a version unless an alias points at it or another version names it as parent. */
    public void delete(String name, int version) {
        AdapterCard card = requireCard(name, version);
        for (AliasState a : aliases(name)) {
            if (a.version() == version) throw ApiException.conflict("alias '" + a.alias() + "' points at " + card.ref() + "; move it first");
        }
        String childrenPrefix = StoreLayout.children(name, version);
        for (String marker : store.list(childrenPrefix)) {
            String child = marker.substring(childrenPrefix.length());
            int at = child.lastIndexOf('@');
            if (at > 0 && card(child.substring(0, at), Integer.parseInt(child.substring(at + 1))).isPresent()) {
                throw ApiException.conflict(child + " names " + card.ref() + " as its parent");
            }
        }
        String dir = StoreLayout.version(name, version);
        store.put(dir + StoreLayout.DELETED, json(Map.of("deletedAt", Instant.now().toString())), Map.of());
        store.delete(dir + StoreLayout.CARD); // invisible from here on
        for (String f : card.files().keySet()) quietly(() -> store.delete(dir + f));
        if (card.parent() != null) {
            String p = card.parent();
            quietly(() -> store.delete(StoreLayout.children(p.substring(0, p.indexOf('@')), Integer.parseInt(p.substring(p.indexOf('@') + 1))) + name + "@" + version));
        }
        events.emit(name, AdapterDeleted.of(name, version));
    }

    // ---- housekeeping -----------------------------------------------------------------------------------------

    /**
     * Removes what interrupted publishes left behind: version directories with a claim older than {@code olderThan}
     * but no card and no tombstone. Returns how many were removed.
     */
    public int cleanLeftovers(Duration olderThan) {
        int removed = 0;
        Instant cutoff = Instant.now().minus(olderThan);
        for (String name : names(0, Integer.MAX_VALUE)) {
            if (!StoreLayout.NAME.matcher(name).matches()) continue;
            for (int v : claimedVersions(name)) {
                String dir = StoreLayout.version(name, v);
                List<String> keys = store.list(dir);
                if (keys.contains(dir + StoreLayout.CARD) || keys.contains(dir + StoreLayout.DELETED)) continue;
                Instant claimedAt = store.getBytes(dir + StoreLayout.CLAIM).map(AdapterRegistry::claimedAt).orElse(Instant.EPOCH);
                if (claimedAt.isBefore(cutoff)) {
                    deleteAll(dir);
                    removed++;
                }
            }
        }
        return removed;
    }

    private static Instant claimedAt(byte[] claim) {
        try {
            return Instant.parse(JSON.readTree(claim).path("claimedAt").asText());
        } catch (IOException | RuntimeException e) {
            return Instant.EPOCH;
        }
    }

    private void deleteAll(String prefix) {
        // the claim goes last: while any file remains, the number stays taken
        List<String> keys = new ArrayList<>(store.list(prefix));
        keys.sort((a, b) -> Boolean.compare(a.endsWith(StoreLayout.CLAIM), b.endsWith(StoreLayout.CLAIM)));
        for (String k : keys) store.delete(k);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static String requireName(String name) {
        try {
            return StoreLayout.requireName(name);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(e.getMessage());
        }
    }

    private static String requireAlias(String alias) {
        try {
            return StoreLayout.requireAlias(alias);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(e.getMessage());
        }
    }

    private static <T> T read(byte[] b, Class<T> type) {
        try {
            return JSON.readValue(b, type);
        } catch (IOException e) {
            throw new IllegalStateException(type.getSimpleName() + " object in the store is not valid JSON", e);
        }
    }

    private static byte[] json(Object o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Action {
        void run() throws Exception;
    }

    private static void quietly(Action a) {
        try {
            a.run();
        } catch (Exception e) {
            LOG.warnf("cleanup step failed (left for the janitor): %s", e.getMessage());
        }
    }

    private static final class CountingStream extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
