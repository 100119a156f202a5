package org.clinlora.registry.versions;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;

/**
 * The cards of versions: a version is visible exactly when its {@code card.json} exists (written last by a publish,
 * removed first by a delete).
 */
@ApplicationScoped
public class Cards {
    private final BlobStore store;

    public Cards(BlobStore store) {
        this.store = store;
    }

    public Optional<AdapterCard> card(String name, int version) {
        return store.getBytes(StoreLayout.version(name, version) + StoreLayout.CARD)
                .map(AdapterCard::parse);
    }

    public AdapterCard require(String name, int version) {
        return card(Names.requireName(name), version)
                .orElseThrow(() -> new NotFound("no version " + version + " of adapter '" + name + "'"));
    }
}
