package org.clinlora.registry.versions;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.events.AdapterPublished;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.failure.Failure;
import org.clinlora.platform.failure.IntegrityFailure;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.registry.events.AdapterEvents;
import org.clinlora.registry.store.StoreJson;

/**
 * Publishing a version: validate the PEFT files against the named base model, claim the next number
 * ({@link VersionClaims}), store every file and read it back with the expected size and sha256, and only then write the
 * card that makes the version visible. A publish that fails removes what it wrote, claim included.
 */
@ApplicationScoped
public class VersionPublisher {
    private final BlobStore store;
    private final ModelStore models;
    private final Cards cards;
    private final VersionClaims claims;
    private final VersionCatalog catalog;
    private final AdapterEvents events;
    private final MeterRegistry meters;

    public VersionPublisher(
            BlobStore store,
            ModelStore models,
            Cards cards,
            VersionClaims claims,
            VersionCatalog catalog,
            AdapterEvents events,
            MeterRegistry meters) {
        this.store = store;
        this.models = models;
        this.cards = cards;
        this.claims = claims;
        this.catalog = catalog;
        this.events = events;
        this.meters = meters;
    }

    /**
     * Validates and stores a new version from local files (named as in a PEFT directory). {@code publishedBy} is who
     * the card records — the caller's authenticated subject, whatever {@code req} says.
     */
    public AdapterCard publish(String name, Map<String, Path> files, PublishRequest req, String publishedBy) {
        Timer.Sample t = Timer.start(meters);
        String outcome = "error";
        try {
            AdapterCard card = store(name, files, req, Audit.require("publishedBy", publishedBy));
            outcome = "ok";
            return card;
        } catch (Failure e) {
            outcome = e.reason();
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
    public AdapterCard publishFromStore(String name, String sourcePrefix, PublishRequest req, String publishedBy) {
        if (sourcePrefix == null
                || sourcePrefix.isBlank()
                || sourcePrefix.contains("..")
                || sourcePrefix.startsWith("/")
                || sourcePrefix.startsWith(StoreLayout.adapters())
                || !sourcePrefix.endsWith("/")) {
            throw new InvalidRequest("sourcePrefix must be a folder in the bucket ending in '/', outside adapters/");
        }
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("clinlora-publish-");
            Map<String, Path> files = download(sourcePrefix, tmp);
            if (files.isEmpty()) throw new NotFound("no objects under " + sourcePrefix);
            return publish(name, files, req, publishedBy);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            Path dir = tmp;
            if (dir != null) StoreJson.quietly(() -> PeftAdapterDir.deleteTree(dir));
        }
    }

    /** The objects directly in the folder {@code prefix} (as in a PEFT directory), copied into {@code into}. */
    private Map<String, Path> download(String prefix, Path into) throws IOException {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String key : store.list(prefix)) {
            String file = key.substring(prefix.length());
            if (file.contains("/")) continue; // only the folder itself, as a PEFT directory
            Path local = into.resolve(file.isEmpty() ? "_" : file);
            try (InputStream in = store.open(key)) {
                Files.copy(in, local);
            }
            files.put(file, local);
        }
        return files;
    }

    /** Everything refused before a number is claimed, then claim, store, verify and make visible (card last). */
    private AdapterCard store(String name, Map<String, Path> files, PublishRequest req, String publishedBy) {
        Names.requireName(name);
        requireCardFields(req);
        BaseModelConfig base = baseModel(req.baseModelId());
        String baseSha = models.manifestSha256(req.baseModelId()).orElseThrow();
        AdapterValidator.Result v = AdapterValidator.validate(files, base);
        if (v.config().savesScore()
                && (req.labelNames() == null || req.labelNames().size() != v.numLabels())) {
            throw new Unprocessable(
                    "invalid_adapter", "labelNames must name the " + v.numLabels() + " labels of the score head");
        }
        AdapterCard parent = req.parent() == null ? null : parentOnBase(req.parent(), req.baseModelId());
        Map<String, AdapterCard.FileEntry> entries = entries(files);

        int version = claims.claim(name);
        String dir = StoreLayout.version(name, version);
        String childMarker =
                parent == null ? null : StoreLayout.children(parent.name(), parent.version()) + name + "@" + version;
        boolean visible = false;
        try {
            storeVerified(dir, files, entries);
            if (childMarker != null) markChild(childMarker, parent);
            AdapterCard card =
                    newCard(name, version, req, v.config().taskType(), baseSha, parent, entries, publishedBy);
            if (!store.putIfAbsent(dir + StoreLayout.CARD, card.toJson()))
                throw new Conflict(dir + " already has a card");
            visible = true;
            meters.counter("clinlora.registry.publish.bytes")
                    .increment(entries.values().stream()
                            .mapToLong(AdapterCard.FileEntry::size)
                            .sum());
            events.announce(name, AdapterPublished.of(name, version, card.task(), card.parent(), req.baseModelId()));
            return card;
        } finally {
            if (!visible) {
                // Never leave half a version: remove what this attempt wrote, claim included (the number was never
                // seen).
                StoreJson.quietly(() -> claims.removeFolder(dir));
                if (childMarker != null) StoreJson.quietly(() -> store.delete(childMarker));
            }
        }
    }

    private static void requireCardFields(PublishRequest req) {
        if (req == null) throw new InvalidRequest("card fields are required");
        if (req.task() == null || req.task().isBlank()) throw new InvalidRequest("card.task is required");
        if (req.baseModelId() == null) throw new InvalidRequest("card.baseModelId is required");
        Names.requireName(req.baseModelId());
    }

    private BaseModelConfig baseModel(String id) {
        return models.config(id)
                .orElseThrow(() -> new Unprocessable(
                        "invalid_adapter",
                        "unknown base model '" + id + "' (no models/" + id + "/manifest.json in the store)"));
    }

    /** The parent's card; a parent trained on another base model cannot carry this adapter. */
    private AdapterCard parentOnBase(String ref, String baseModelId) {
        AdapterCard parent = catalog.resolve(ref).card();
        if (!parent.baseModel().id().equals(baseModelId)) {
            throw new Unprocessable(
                    "invalid_adapter",
                    "parent " + parent.ref() + " was trained on base model '"
                            + parent.baseModel().id() + "', not '" + baseModelId + "'");
        }
        return parent;
    }

    private static Map<String, AdapterCard.FileEntry> entries(Map<String, Path> files) {
        Map<String, AdapterCard.FileEntry> entries = new TreeMap<>();
        try {
            for (Map.Entry<String, Path> f : files.entrySet()) {
                entries.put(f.getKey(), new AdapterCard.FileEntry(Sha256.of(f.getValue()), Files.size(f.getValue())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }

    /** Stores every file under {@code dir}, then reads each back: size and sha256 must be what was hashed locally. */
    private void storeVerified(String dir, Map<String, Path> files, Map<String, AdapterCard.FileEntry> entries) {
        for (Map.Entry<String, Path> f : files.entrySet()) {
            store.put(
                    dir + f.getKey(),
                    f.getValue(),
                    Map.of("sha256", entries.get(f.getKey()).sha256()));
        }
        for (Map.Entry<String, AdapterCard.FileEntry> e : entries.entrySet())
            verifyStored(dir + e.getKey(), e.getValue());
    }

    /**
     * Records the child under its parent (deletion refuses a parent with children), then checks that the parent was not
     * deleted meanwhile.
     */
    private void markChild(String childMarker, AdapterCard parent) {
        store.put(childMarker, new byte[0], Map.of());
        if (cards.card(parent.name(), parent.version()).isEmpty())
            throw new Conflict("parent " + parent.ref() + " was deleted during publication");
    }

    private static AdapterCard newCard(
            String name,
            int version,
            PublishRequest req,
            String taskType,
            String baseSha,
            AdapterCard parent,
            Map<String, AdapterCard.FileEntry> entries,
            String publishedBy) {
        boolean head = req.labelNames() != null && !req.labelNames().isEmpty();
        return new AdapterCard(
                AdapterCard.SCHEMA_VERSION,
                name,
                version,
                req.task(),
                taskType,
                req.labelNames() == null ? List.of() : List.copyOf(req.labelNames()),
                head ? req.problemType() : null,
                head ? req.noteEncoding() : null,
                new AdapterCard.BaseModel(req.baseModelId(), baseSha),
                parent == null ? null : parent.ref(),
                req.datasetIds() == null ? List.of() : List.copyOf(req.datasetIds()),
                req.trainingConfig() == null ? Map.of() : req.trainingConfig(),
                req.metrics() == null ? Map.of() : req.metrics(),
                entries,
                Instant.now().toString(),
                publishedBy);
    }

    private void verifyStored(String key, AdapterCard.FileEntry want) {
        try (InputStream in = store.open(key)) {
            long[] count = {0};
            String sha = Sha256.copy(in, new OutputStream() {
                @Override
                public void write(int b) {
                    count[0]++;
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    count[0] += len;
                }
            });
            if (count[0] != want.size() || !sha.equals(want.sha256())) {
                throw new IntegrityFailure(key + " reads back " + count[0] + " bytes with sha256 " + sha + ", expected "
                        + want.size() + " bytes " + want.sha256());
            }
        } catch (IOException e) {
            throw new ObjectStore.StoreException("reading back " + key + ": " + e.getMessage(), e);
        }
    }
}
