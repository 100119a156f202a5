package org.clinlora.registry.versions;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.Map;
import org.clinlora.platform.events.AdapterDeleted;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.registry.events.AdapterEvents;
import org.clinlora.registry.store.StoreJson;

/**
 * The deletion rules: a version may go only when no alias points at it and no visible version names it as parent. Its
 * card goes first (invisible from then on), a tombstone keeps its number taken, and the files follow.
 */
@ApplicationScoped
public class VersionDeletion {
    private final BlobStore store;
    private final Cards cards;
    private final AliasLog aliases;
    private final AdapterEvents events;

    public VersionDeletion(BlobStore store, Cards cards, AliasLog aliases, AdapterEvents events) {
        this.store = store;
        this.cards = cards;
        this.aliases = aliases;
        this.events = events;
    }

    /** Deletes {@code name@version}; the tombstone records when and by whom (the caller's authenticated subject). */
    public void delete(String name, int version, String deletedBy) {
        Audit.require("deletedBy", deletedBy);
        AdapterCard card = cards.require(name, version);
        for (AliasLog.AliasState a : aliases.aliases(name)) {
            if (a.version() == version)
                throw new Conflict("alias '" + a.alias() + "' points at " + card.ref() + "; move it first");
        }
        String childrenPrefix = StoreLayout.children(name, version);
        for (String marker : store.list(childrenPrefix)) {
            String child = marker.substring(childrenPrefix.length());
            AdapterRef c;
            try {
                c = AdapterRef.parse(child);
            } catch (IllegalArgumentException e) {
                continue; // not a child marker
            }
            if (!c.isAlias() && cards.card(c.name(), c.version()).isPresent()) {
                throw new Conflict(child + " names " + card.ref() + " as its parent");
            }
        }
        String dir = StoreLayout.version(name, version);
        store.put(
                dir + StoreLayout.DELETED,
                StoreJson.bytes(Map.of("deletedAt", Instant.now().toString(), "deletedBy", deletedBy)),
                Map.of());
        store.delete(dir + StoreLayout.CARD); // invisible from here on
        for (String f : card.files().keySet()) StoreJson.quietly(() -> store.delete(dir + f));
        if (card.parent() != null) {
            AdapterRef p = AdapterRef.parse(card.parent());
            StoreJson.quietly(() -> store.delete(StoreLayout.children(p.name(), p.version()) + name + "@" + version));
        }
        events.announce(name, AdapterDeleted.of(name, version));
    }
}
