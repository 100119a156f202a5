package org.clinlora.cli.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Requests of one kind in the current interval of {@code bench soak}: counts by status and latencies. */
final class Tally {
    final Map<String, Integer> byStatus = new TreeMap<>();
    final List<Double> millis = new ArrayList<>();

    synchronized void add(String status, double ms) {
        byStatus.merge(status, 1, Integer::sum);
        millis.add(ms);
    }

    /** What the interval counted; this tally starts the next one empty. */
    synchronized Tally drain() {
        Tally t = new Tally();
        t.byStatus.putAll(byStatus);
        t.millis.addAll(millis);
        byStatus.clear();
        millis.clear();
        return t;
    }

    double p99() {
        if (millis.isEmpty()) return Double.NaN;
        double[] s = millis.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(s);
        return s[(int) Math.ceil(0.99 * (s.length - 1))];
    }
}
