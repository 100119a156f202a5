package org.clinlora.scorer.scoring;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.registry.AdapterSource;
import org.clinlora.platform.registry.Lineage;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.registry.RegistryFailures;

/**
 * A task reference ({@code name}, {@code name@3}, {@code name@staging}) → the adapter version that scores it and its
 * stack, checked once: it has a classification head, and every adapter of the stack was trained on the base model this
 * scorer serves (binding it on first use, {@link BaseModelBinding}). Versions are immutable, so a resolved version is
 * kept; an alias is re-resolved after {@code alias-ttl}, or at once when an AliasMoved event {@linkplain #pin pins} it
 * to its new version.
 */
@ApplicationScoped
public class TaskResolver {
    private final AdapterSource registry;
    private final BaseModelBinding base;
    private final long aliasTtlNanos;
    private final Map<String, long[]> aliases = new ConcurrentHashMap<>(); // name@alias -> {version, expiresAt}
    private final Map<String, ScoringTask> versions = new ConcurrentHashMap<>();
    // name@version -> the one card object of that version, slimmed for serving: every task stacked on a Clinical LoRA
    // shares its card instead of holding a parsed copy of its own (10,000 task adapters, 10,000 copies).
    private final Map<String, AdapterCard> cards = new ConcurrentHashMap<>();

    @Inject
    public TaskResolver(AdapterSource registry, BaseModelBinding base, ScorerConfig config) {
        this(registry, base, config.aliasTtl());
    }

    public TaskResolver(AdapterSource registry, BaseModelBinding base, Duration aliasTtl) {
        this.registry = registry;
        this.base = base;
        this.aliasTtlNanos = aliasTtl.toNanos();
    }

    public ScoringTask resolve(String taskRef) {
        AdapterRef ref;
        try {
            ref = AdapterRef.parse(taskRef);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest("task: " + e.getMessage());
        }
        AdapterRef which = ref;
        if (ref.isAlias()) {
            long[] a = aliases.get(ref.toString());
            if (a != null && a[1] > System.nanoTime()) which = AdapterRef.of(ref.name(), (int) a[0]);
        }
        ScoringTask known = which.isAlias() ? null : versions.get(which.toString());
        if (known != null) return known;
        RegistryClient.Resolved r;
        try {
            r = registry.resolve(which);
        } catch (RegistryClient.RegistryException | IOException e) {
            throw RegistryFailures.of(e, "task adapter", taskRef);
        }
        check(r.name() + "@" + r.version(), r.lineage()); // before shared: a refused lineage leaves no card behind
        ScoringTask task = new ScoringTask(r.name(), r.version(), shared(r.lineage()));
        if (which.isAlias()) aliases.put(ref.toString(), new long[] {r.version(), System.nanoTime() + aliasTtlNanos});
        versions.put(task.ref(), task);
        return task;
    }

    /** After an alias move was preloaded: the alias scores with {@code version} from now on. */
    public void pin(String name, String alias, int version) {
        aliases.put(name + "@" + alias, new long[] {version, System.nanoTime() + aliasTtlNanos});
    }

    /** The alias is resolved afresh on its next use. */
    public void unpin(String name, String alias) {
        aliases.remove(name + "@" + alias);
    }

    /** Each card of a lineage as the one serving card of its version (versions are immutable). */
    private List<AdapterCard> shared(List<AdapterCard> lineage) {
        return lineage.stream()
                .map(c -> cards.computeIfAbsent(c.ref(), k -> c.forServing()))
                .toList();
    }

    /** A deleted version: never served again from what this resolver remembers. */
    public void forget(String name, int version) {
        versions.remove(name + "@" + version);
        cards.remove(name + "@" + version);
        aliases.entrySet().removeIf(e -> e.getKey().startsWith(name + "@") && e.getValue()[0] == version);
    }

    /**
     * Refuses {@code ref} ({@code name@version}) unless its own card, the lineage's last, has a score head and every
     * card of the lineage, root first, names the base model this scorer serves (bound on first use).
     */
    private void check(String ref, List<AdapterCard> lineage) {
        AdapterCard head = lineage.get(lineage.size() - 1);
        if (head.labelNames() == null || head.labelNames().isEmpty()) {
            throw new Unprocessable(
                    "not_a_classifier", "adapter " + ref + " has no score head (labelNames); it cannot score outcomes");
        }
        String served = base.bind(Lineage.baseOf(lineage));
        try {
            Lineage.requireBase(lineage, served);
        } catch (Lineage.WrongBaseModelException e) {
            throw new Unprocessable("wrong_base_model", e.getMessage() + " (this scorer serves '" + served + "')");
        }
    }
}
