package org.clinlora.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The registry's lineage as a graph to draw: a node per base model and per adapter version ({@code name@version}), an
 * edge from each version's parent (or its base model, for a root such as a Clinical LoRA) to it — base → clinical →
 * downstream. Positions are laid out here, by depth from the base (columns) and order of appearance (rows), so the
 * drawing is the same on every load.
 */
final class LineageGraph {
    record Node(String id, String kind, String label, int depth, double x, double y) {}

    record Edge(String source, String target) {}

    record Graph(List<Node> nodes, List<Edge> edges) {}

    private LineageGraph() {}

    /**
     * From every version's card; {@code focus} (an adapter name, or null for all) keeps its versions' ancestors and
     * descendants.
     */
    static Graph of(List<JsonNode> cards, String focus) {
        Map<String, String> parentOf = new LinkedHashMap<>();
        Map<String, String> task = new HashMap<>();
        for (JsonNode c : cards) {
            String ref = c.path("name").asText() + "@" + c.path("version").asInt();
            String parent = c.path("parent").asText(null);
            parentOf.put(
                    ref,
                    parent != null
                            ? parent
                            : "base:" + c.path("baseModel").path("id").asText("?"));
            task.put(ref, c.path("task").asText(""));
        }
        Set<String> keep = new LinkedHashSet<>();
        for (String ref : parentOf.keySet()) {
            if (focus != null && !ref.startsWith(focus + "@")) continue;
            for (String r = ref; r != null; r = parentOf.get(r)) keep.add(r); // ancestors
        }
        if (focus != null) { // descendants of the focus's versions
            boolean grew = true;
            while (grew) {
                grew = false;
                for (Map.Entry<String, String> e : parentOf.entrySet()) {
                    if (keep.contains(e.getValue())
                            && !keep.contains(e.getKey())
                            && isBelow(e.getKey(), focus, parentOf)) grew = keep.add(e.getKey()) || grew;
                }
            }
        }
        Map<String, Integer> depth = new HashMap<>();
        Map<Integer, Integer> rows = new HashMap<>();
        List<Node> nodes = new ArrayList<>();
        List<Edge> edges = new ArrayList<>();
        List<String> ordered = new ArrayList<>(keep);
        ordered.sort((a, b) -> Integer.compare(depthOf(a, parentOf, depth), depthOf(b, parentOf, depth)));
        for (String id : ordered) {
            int d = depthOf(id, parentOf, depth);
            int row = rows.merge(d, 1, Integer::sum) - 1;
            boolean base = id.startsWith("base:");
            // Each column a little lower than the last: the drawing keeps its proportions, and a single row (one
            // chain) would otherwise have no height to fit and be stretched.
            nodes.add(new Node(
                    id,
                    base ? "base" : "adapter",
                    base ? id.substring(5) : id + (task.get(id).isEmpty() ? "" : " (" + task.get(id) + ")"),
                    d,
                    d * 220.0,
                    row * 70.0 + d * 24.0));
            String p = parentOf.get(id);
            if (p != null && keep.contains(p)) edges.add(new Edge(p, id));
        }
        return new Graph(nodes, edges);
    }

    private static boolean isBelow(String ref, String focus, Map<String, String> parentOf) {
        for (String r = parentOf.get(ref); r != null; r = parentOf.get(r)) if (r.startsWith(focus + "@")) return true;
        return false;
    }

    private static int depthOf(String id, Map<String, String> parentOf, Map<String, Integer> memo) {
        Integer d = memo.get(id);
        if (d != null) return d;
        String p = parentOf.get(id);
        int v = p == null ? 0 : depthOf(p, parentOf, memo) + 1;
        memo.put(id, v);
        return v;
    }
}
