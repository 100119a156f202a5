package org.clinlora.platform.search;

import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.clinlora.platform.failure.InvalidRequest;

/**
 * The {@code sort} and {@code order} parameters of a search: a field of the listed records, or {@code metrics.<name>}
 * for a metric they carry (as MLflow's runs table sorts by a metric column), ascending or descending. Records without
 * the value — a metric a run never reported — come last in either order, so sorting by a metric never leads with the
 * runs that lack it.
 *
 * @param field the field named ({@code createdAt}, …) or null for a metric
 * @param metric the metric's name for {@code metrics.<name>}, else null
 */
public record SortKey(String field, String metric, boolean descending) {
    public static final String METRIC_PREFIX = "metrics.";

    /**
     * {@code sort} among {@code fields} (absent: {@code defaultField}) or {@code metrics.<name>}; {@code order}
     * {@code asc} or {@code desc} (absent: descending, newest or highest first).
     */
    public static SortKey parse(String sort, String order, Set<String> fields, String defaultField) {
        boolean descending =
                switch (order == null || order.isBlank()
                        ? "desc"
                        : order.strip().toLowerCase(Locale.ROOT)) {
                    case "desc" -> true;
                    case "asc" -> false;
                    default -> throw new InvalidRequest("order must be asc or desc");
                };
        String s = sort == null || sort.isBlank() ? defaultField : sort.strip();
        if (s.startsWith(METRIC_PREFIX) && s.length() > METRIC_PREFIX.length() && s.length() <= 128)
            return new SortKey(null, s.substring(METRIC_PREFIX.length()), descending);
        if (!fields.contains(s))
            throw new InvalidRequest("sort must be one of "
                    + String.join(", ", fields.stream().sorted().toList()) + " or metrics.<name>");
        return new SortKey(s, null, descending);
    }

    /**
     * The order over records: {@code fieldValues} gives a named field's value (a String or a Number, or null),
     * {@code metrics} a record's metrics; missing values last, ties broken by {@code tieBreak}.
     */
    public <T> Comparator<T> comparator(
            Map<String, Function<T, Comparable<?>>> fieldValues,
            Function<T, Map<String, Double>> metrics,
            Comparator<T> tieBreak) {
        Function<T, Comparable<?>> value = field != null
                ? fieldValues.get(field)
                : r -> metrics.apply(r) == null ? null : metrics.apply(r).get(metric);
        Comparator<Comparable<Object>> natural = descending ? Comparator.reverseOrder() : Comparator.naturalOrder();
        @SuppressWarnings("unchecked")
        Comparator<T> primary =
                Comparator.comparing(r -> (Comparable<Object>) value.apply(r), Comparator.nullsLast(natural));
        return primary.thenComparing(tieBreak);
    }
}
