package org.clinlora.registry.versions;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.search.PageWindow;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;

/**
 * Searches over the cards of every visible version across adapters ({@link VersionQuery}): one listing of the store per
 * search says which versions are visible (those with a {@code card.json}), and each card is read from the store once. A
 * card is created once and never rewritten (a version is immutable; a deleted one's card disappears from the listing
 * and is forgotten here), so what was read stays true while the card exists.
 */
@ApplicationScoped
public class VersionSearch {
    private final BlobStore store;
    private final Map<String, AdapterCard> read = new ConcurrentHashMap<>();

    public VersionSearch(BlobStore store) {
        this.store = store;
    }

    /** The versions a query matches, in its order, the page {@code window} asks for. */
    public VersionPage search(VersionQuery query, PageWindow window) {
        List<AdapterCard> matched =
                all().stream().filter(query::matches).sorted(query.order()).toList();
        return new VersionPage(window.slice(matched), matched.size(), window.next(matched.size()));
    }

    /** Every visible version's card, in store-key order. */
    List<AdapterCard> all() {
        String root = StoreLayout.adapters();
        String suffix = "/" + StoreLayout.CARD;
        Set<String> visible = new HashSet<>();
        List<AdapterCard> out = new ArrayList<>();
        for (String key : store.list(root)) {
            // adapters/{name}/{n}/card.json: two segments before the file
            if (!key.endsWith(suffix) || key.substring(root.length()).split("/").length != 3) continue;
            visible.add(key);
            cardAt(key).ifPresent(out::add);
        }
        read.keySet().retainAll(visible);
        return out;
    }

    /** The card under a key, read once; empty when it was deleted between the listing and the read. */
    private Optional<AdapterCard> cardAt(String key) {
        AdapterCard known = read.get(key);
        if (known != null) return Optional.of(known);
        Optional<AdapterCard> fresh = store.getBytes(key).map(AdapterCard::parse);
        fresh.ifPresent(c -> read.put(key, c));
        return fresh;
    }
}
