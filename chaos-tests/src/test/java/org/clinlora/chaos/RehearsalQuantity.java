package org.clinlora.chaos;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Kubernetes resource quantities ({@code 512Mi}, {@code 8Gi}, {@code 250m}, {@code 2}, {@code 1e3}) as numbers. */
final class RehearsalQuantity {
    private static final Pattern Q = Pattern.compile("([0-9.]+(?:[eE][0-9]+)?)([a-zA-Z]*)");
    private static final Map<String, Double> SUFFIX = Map.ofEntries(
            Map.entry("", 1d),
            Map.entry("m", 1e-3),
            Map.entry("k", 1e3),
            Map.entry("M", 1e6),
            Map.entry("G", 1e9),
            Map.entry("T", 1e12),
            Map.entry("Ki", 1024d),
            Map.entry("Mi", 1024d * 1024),
            Map.entry("Gi", 1024d * 1024 * 1024),
            Map.entry("Ti", 1024d * 1024 * 1024 * 1024));

    private RehearsalQuantity() {}

    static double parse(String quantity) {
        Matcher m = Q.matcher(quantity.trim());
        if (!m.matches() || !SUFFIX.containsKey(m.group(2)))
            throw new IllegalArgumentException("not a Kubernetes quantity: " + quantity);
        return Double.parseDouble(m.group(1)) * SUFFIX.get(m.group(2));
    }
}
