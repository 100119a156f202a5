package org.clinlora.registry.versions;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.clinlora.platform.events.AliasMoved;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.registry.events.AdapterEvents;
import org.clinlora.registry.store.StoreJson;

/**
 * Aliases ({@code production}, {@code staging}, …) as append-only logs in the store: a move creates the log's next
 * entry with {@code If-None-Match: *}, which makes it a compare-and-set on the alias's current state. The log is the
 * alias's history; its last entry is where the alias points.
 */
@ApplicationScoped
public class AliasLog {
    /** One move: to which version, from which, when and by whom (the mover's authenticated subject). */
    public record AliasChange(int version, Integer previousVersion, String movedAt, String movedBy) {}

    public record AliasState(String name, String alias, int version, List<AliasChange> history) {}

    private final BlobStore store;
    private final Cards cards;
    private final AdapterEvents events;

    public AliasLog(BlobStore store, Cards cards, AdapterEvents events) {
        this.store = store;
        this.cards = cards;
        this.events = events;
    }

    public Optional<AliasState> alias(String name, String alias) {
        List<AliasChange> log = entries(name, alias);
        return log.isEmpty()
                ? Optional.empty()
                : Optional.of(
                        new AliasState(name, alias, log.get(log.size() - 1).version(), log));
    }

    public List<AliasState> aliases(String name) {
        List<AliasState> out = new ArrayList<>();
        String prefix = StoreLayout.aliases(Names.requireName(name));
        for (String p : store.listPrefixes(prefix))
            alias(name, p.substring(prefix.length(), p.length() - 1)).ifPresent(out::add);
        return out;
    }

    /**
     * Points {@code alias} at {@code version} if it currently points at {@code expectedVersion} (null: the alias must
     * not exist yet). Of two concurrent moves from the same state exactly one succeeds; the other is a 409.
     * {@code movedBy} is the caller's authenticated subject, recorded in the alias's history.
     */
    public AliasState move(String name, String alias, int version, Integer expectedVersion, String movedBy) {
        Audit.require("movedBy", movedBy);
        Names.requireName(name);
        Names.requireAlias(alias);
        cards.require(name, version);
        List<AliasChange> log = entries(name, alias);
        Integer actual = log.isEmpty() ? null : log.get(log.size() - 1).version();
        if (!Objects.equals(actual, expectedVersion)) {
            throw new Conflict("alias '" + alias + "' of " + name + " points at "
                    + (actual == null ? "nothing" : "version " + actual) + ", not "
                    + (expectedVersion == null ? "nothing" : "version " + expectedVersion));
        }
        AliasChange change = new AliasChange(version, actual, Instant.now().toString(), movedBy);
        if (!store.putIfAbsent(StoreLayout.aliasEntry(name, alias, log.size() + 1), StoreJson.bytes(change))) {
            throw new Conflict("alias '" + alias + "' of " + name + " was moved concurrently; read it again and retry");
        }
        log.add(change);
        events.announce(name, AliasMoved.of(name, alias, version, actual));
        return new AliasState(name, alias, version, log);
    }

    private List<AliasChange> entries(String name, String alias) {
        List<AliasChange> log = new ArrayList<>();
        for (String key : store.list(StoreLayout.aliasLog(Names.requireName(name), Names.requireAlias(alias)))) {
            if (key.endsWith(".json"))
                store.getBytes(key)
                        .map(b -> StoreJson.read(b, AliasChange.class))
                        .ifPresent(log::add);
        }
        return log;
    }
}
