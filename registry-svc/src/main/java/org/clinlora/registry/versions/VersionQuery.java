package org.clinlora.registry.versions;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.search.SortKey;
import org.clinlora.platform.search.TimeRange;
import org.clinlora.platform.store.StoreLayout;

/**
 * A search over versions across adapters, what {@code GET /v1/versions} takes in its query (the model registry's search
 * of MLflow): words found in a version's names ({@code q}: adapter name, task, base model, parent, datasets, labels,
 * the job that trained it, who published it), the exact adapter name, task, base model and parent
 * ({@code name@version}), a publication-time range, and the order. Every field absent matches every version.
 */
public record VersionQuery(
        String text, String name, String task, String baseModel, String parent, TimeRange created, SortKey sort) {

    /** What {@code sort} may name besides {@code metrics.<name>}. */
    public static final Set<String> SORT_FIELDS = Set.of("createdAt", "name", "version", "task", "baseModel");

    /** Every version, newest first. */
    public static final VersionQuery ALL =
            new VersionQuery(null, null, null, null, null, TimeRange.ALL, new SortKey("createdAt", null, true));

    /** The query parameters as sent; blank ones are absent; a name or parent that no version can have is a 400. */
    public static VersionQuery parse(
            String q,
            String name,
            String task,
            String base,
            String parent,
            String since,
            String until,
            String sort,
            String order) {
        return new VersionQuery(
                blank(q) ? null : q.strip().toLowerCase(Locale.ROOT),
                blank(name) ? null : adapterName(name.strip()),
                blank(task) ? null : task.strip(),
                blank(base) ? null : base.strip(),
                blank(parent) ? null : parentRef(parent.strip()),
                TimeRange.parse(since, until),
                SortKey.parse(sort, order, SORT_FIELDS, "createdAt"));
    }

    public boolean matches(AdapterCard card) {
        if (name != null && !name.equals(card.name())) return false;
        if (task != null && !task.equals(card.task())) return false;
        if (baseModel != null
                && (card.baseModel() == null
                        || !baseModel.equals(card.baseModel().id()))) return false;
        if (parent != null && !parent.equals(card.parent())) return false;
        if (!created.contains(card.createdAt())) return false;
        return text == null
                || words(card).stream().anyMatch(w -> w.toLowerCase(Locale.ROOT).contains(text));
    }

    /** The order the query asks for; equal versions newest first, then by name and number, so pages never overlap. */
    public Comparator<AdapterCard> order() {
        Map<String, Function<AdapterCard, Comparable<?>>> fields = new LinkedHashMap<>();
        fields.put("createdAt", AdapterCard::createdAt);
        fields.put("name", AdapterCard::name);
        fields.put("version", AdapterCard::version);
        fields.put("task", AdapterCard::task);
        fields.put(
                "baseModel", c -> c.baseModel() == null ? null : c.baseModel().id());
        Comparator<AdapterCard> tie = Comparator.comparing(
                        AdapterCard::createdAt, Comparator.nullsLast(Comparator.<String>reverseOrder()))
                .thenComparing(AdapterCard::name)
                .thenComparing(AdapterCard::version, Comparator.reverseOrder());
        return sort.comparator(fields, AdapterCard::metrics, tie);
    }

    /** The names a version is found by. */
    private static List<String> words(AdapterCard c) {
        List<String> w = new ArrayList<>();
        w.add(c.ref());
        w.add(c.task());
        w.add(c.baseModel() == null ? null : c.baseModel().id());
        w.add(c.parent());
        w.add(c.publishedBy());
        if (c.datasetIds() != null) w.addAll(c.datasetIds());
        if (c.labelNames() != null) w.addAll(c.labelNames());
        Object job = c.trainingConfig() == null ? null : c.trainingConfig().get("jobId");
        if (job != null) w.add(job.toString());
        w.removeIf(x -> x == null || x.isEmpty());
        return w;
    }

    private static String adapterName(String name) {
        try {
            return StoreLayout.requireName(name);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest("name: " + e.getMessage());
        }
    }

    /** A parent as cards record it: {@code name@version} (an alias moves, a card's parent does not). */
    private static String parentRef(String ref) {
        AdapterRef r;
        try {
            r = AdapterRef.parse(ref);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest("parent: " + e.getMessage());
        }
        if (r.isAlias() || !ref.contains("@"))
            throw new InvalidRequest("parent must be name@version, got '" + ref + "'");
        return r.toString();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
