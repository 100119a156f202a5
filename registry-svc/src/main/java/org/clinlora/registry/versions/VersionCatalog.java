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
import java.util.ArrayList;
import java.util.List;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.failure.IntegrityFailure;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.registry.store.StoreJson;
import org.jboss.logging.Logger;

/** The read side: names, visible versions, references resolved with their lineage, verified downloads. */
@ApplicationScoped
public class VersionCatalog {
    private static final Logger LOG = Logger.getLogger(VersionCatalog.class);
    private static final int MAX_LINEAGE = 16;

    /** A resolved version: its card, and its lineage from the root ancestor down to itself. */
    public record Resolved(String name, int version, AdapterCard card, List<AdapterCard> lineage) {}

    /** A downloaded file that matched its card, and the card's entry for it. */
    public record Verified(Path file, AdapterCard.FileEntry entry) {}

    /** A presigned URL and the entry the client should verify the bytes against. */
    public record Presigned(String url, AdapterCard.FileEntry entry) {}

    private final BlobStore store;
    private final Cards cards;
    private final VersionClaims claims;
    private final AliasLog aliases;
    private final MeterRegistry meters;

    public VersionCatalog(BlobStore store, Cards cards, VersionClaims claims, AliasLog aliases, MeterRegistry meters) {
        this.store = store;
        this.cards = cards;
        this.claims = claims;
        this.aliases = aliases;
        this.meters = meters;
    }

    /** Adapter names in order, {@code limit} from {@code offset}. */
    public List<String> names(int offset, int limit) {
        List<String> all = claims.names();
        return all.subList(Math.min(offset, all.size()), Math.min(all.size(), offset + limit));
    }

    /** The card of a visible version, else 404. */
    public AdapterCard card(String name, int version) {
        return cards.require(name, version);
    }

    /** Visible versions of a name, oldest first. */
    public List<AdapterCard> versions(String name) {
        Names.requireName(name);
        List<AdapterCard> out = new ArrayList<>();
        for (int v : claims.claimed(name).stream().sorted().toList())
            cards.card(name, v).ifPresent(out::add);
        return out;
    }

    public Resolved resolve(String ref) {
        return resolve(Names.parseRef(ref));
    }

    public Resolved resolve(String name, String versionOrAlias) {
        return resolve(Names.ref(name, versionOrAlias));
    }

    /** The version a reference names, with its parents back to the root (a missing parent is a 409). */
    public Resolved resolve(AdapterRef ref) {
        int version = ref.isAlias()
                ? aliases.alias(ref.name(), ref.alias())
                        .map(AliasLog.AliasState::version)
                        .orElseThrow(
                                () -> new NotFound("adapter '" + ref.name() + "' has no alias '" + ref.alias() + "'"))
                : ref.version();
        AdapterCard card = cards.require(ref.name(), version);
        List<AdapterCard> lineage = new ArrayList<>();
        lineage.add(card);
        for (AdapterCard c = card; c.parent() != null; ) {
            if (lineage.size() > MAX_LINEAGE)
                throw new Conflict("lineage of " + card.ref() + " is deeper than " + MAX_LINEAGE);
            AdapterRef p = AdapterRef.parse(c.parent());
            c = cards.card(p.name(), p.version()).orElseThrow(() -> new Conflict("parent " + p + " is missing"));
            lineage.add(0, c);
        }
        return new Resolved(ref.name(), version, card, lineage);
    }

    /**
     * A stored file, downloaded to a temp file and checked against the sha256 and size the card recorded. Tampered or
     * truncated bytes are an integrity error and are never returned. The caller deletes the file.
     */
    public Verified fetchVerified(String name, int version, String file) {
        Timer.Sample t = Timer.start(meters);
        AdapterCard card = cards.require(name, version);
        AdapterCard.FileEntry want = card.files().get(file);
        if (want == null) throw new NotFound(card.ref() + " has no file '" + file + "'");
        String key = StoreLayout.version(name, version) + file;
        Path tmp = null;
        try {
            tmp = Files.createTempFile("clinlora-download-", ".part");
            String sha;
            try (InputStream in = store.open(key);
                    OutputStream out = Files.newOutputStream(tmp)) {
                sha = Sha256.copy(in, out);
            }
            long size = Files.size(tmp);
            if (!sha.equals(want.sha256()) || size != want.size()) {
                meters.counter("clinlora.registry.integrity.failures").increment();
                LOG.errorf(
                        "integrity failure: %s has sha256 %s (%d bytes), card says %s (%d bytes)",
                        key, sha, size, want.sha256(), want.size());
                throw new IntegrityFailure(
                        key + " does not match the sha256 recorded when it was published; refusing to serve it");
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
            if (leftover != null) StoreJson.quietly(() -> Files.deleteIfExists(leftover));
        }
    }

    public Presigned presignedUrl(String name, int version, String file, int seconds) {
        AdapterCard card = cards.require(name, version);
        AdapterCard.FileEntry entry = card.files().get(file);
        if (entry == null) throw new NotFound(card.ref() + " has no file '" + file + "'");
        if (seconds < 1 || seconds > 7 * 24 * 3600) throw new InvalidRequest("expiry must be between 1 s and 7 days");
        return new Presigned(store.presignedGet(StoreLayout.version(name, version) + file, seconds), entry);
    }
}
