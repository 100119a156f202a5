package org.clinlora.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.qute.TemplateData;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The registry's lineage as a graph to draw, grouped the way people look for an adapter: by base model, then by each
 * root version on it (a Clinical LoRA, or a downstream trained on the base directly) with everything stacked on it.
 * Each group is a layered tree — base → Clinical LoRA → Downstream LoRA, one indent a layer — laid out here, so that
 * the drawing is the same on every load and its readability is testable: every version has a row of its own, except the
 * leaves under one parent, which share rows in columns as wide as their longest label. Labels are set in a monospace
 * font whose width is known, so no two label boxes overlap whatever the number of versions.
 */
final class LineageGraph {
    /** Row height and the layer indent, in CSS pixels (the drawing starts at scale 1). */
    static final int ROW = 22, INDENT = 28, RADIUS = 6, LABEL_GAP = 6, COLUMN_GAP = 28, MARGIN = 8;
    /** Height of a label's box: the 12px font's line. */
    static final int LABEL_HEIGHT = 16;
    /** Wider than a character of the 12px monospace font (7.2px), so an estimated label box holds the drawn one. */
    static final double CHAR_WIDTH = 7.8;
    /** The width leaves under one parent are spread over before they take more rows (the page's content width). */
    static final int TARGET_WIDTH = 1150;
    /** Leaves under one parent stay in one column up to this many. */
    static final int MIN_LEAF_ROWS = 8;

    /** A base model or a version ({@code name@version}); {@code selected} false for an ancestor shown for context. */
    @TemplateData
    record Node(
            String id,
            String kind,
            String label,
            String href,
            int depth,
            int x,
            int y,
            int labelX,
            int labelWidth,
            boolean selected) {}

    /** From a version's parent (or base model) to it, as an SVG path that keeps to the gutters between labels. */
    @TemplateData
    record Edge(String source, String target, String path) {}

    /** A root version and its descendants, drawn in a box of {@code width} × {@code height}. */
    @TemplateData
    record Group(String root, String title, int versions, int width, int height, List<Node> nodes, List<Edge> edges) {}

    /** A base model's groups. */
    @TemplateData
    record Base(String id, int versions, List<Group> groups) {}

    /**
     * Every base model's groups; {@code versions} drawn, {@code selected} of them chosen (the others are ancestors).
     */
    @TemplateData
    record Graph(List<Base> bases, int versions, int selected) {
        List<Node> nodes() {
            List<Node> out = new ArrayList<>();
            bases.forEach(b -> b.groups().forEach(g -> out.addAll(g.nodes())));
            return out;
        }

        List<Edge> edges() {
            List<Edge> out = new ArrayList<>();
            bases.forEach(b -> b.groups().forEach(g -> out.addAll(g.edges())));
            return out;
        }
    }

    private record Card(String ref, String name, int version, String parent, String base, String task) {}

    private final Map<String, Card> cards = new LinkedHashMap<>();
    private final Map<String, List<String>> children = new LinkedHashMap<>();
    private final Set<String> selected;

    private LineageGraph(List<JsonNode> all, Set<String> selected) {
        for (JsonNode c : all) {
            String name = c.path("name").asText();
            int version = c.path("version").asInt();
            String ref = name + "@" + version;
            cards.put(
                    ref,
                    new Card(
                            ref,
                            name,
                            version,
                            c.path("parent").asText(null),
                            c.path("baseModel").path("id").asText("?"),
                            c.path("task").asText("")));
        }
        this.selected = selected == null ? cards.keySet() : selected;
    }

    /**
     * The versions in {@code selected} (all of them for null) with their ancestors up to the base model, grouped and
     * laid out.
     */
    static Graph of(List<JsonNode> cards, Set<String> selected) {
        return new LineageGraph(cards, selected).layout();
    }

    /** An adapter's family: its versions and everything stacked on them. */
    static Set<String> family(List<JsonNode> all, String name) {
        LineageGraph g = new LineageGraph(all, null);
        Set<String> out = new LinkedHashSet<>();
        g.cards.values().stream().filter(c -> c.name().equals(name)).forEach(c -> out.add(c.ref()));
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Card c : g.cards.values())
                if (c.parent() != null && out.contains(c.parent())) grew = out.add(c.ref()) || grew;
        }
        return out;
    }

    private Graph layout() {
        Set<String> keep = new LinkedHashSet<>();
        for (String ref : selected) {
            for (Card c = cards.get(ref); c != null && keep.add(c.ref()); c = parentOf(c)) {
                // up to the root: ancestors give the selected versions their context
            }
        }
        Comparator<Card> order = Comparator.comparing(Card::name).thenComparingInt(Card::version);
        Map<String, List<Card>> rootsByBase = new TreeMap<>();
        keep.stream().map(cards::get).sorted(order).forEach(c -> {
            Card p = parentOf(c);
            if (p == null)
                rootsByBase.computeIfAbsent(c.base(), b -> new ArrayList<>()).add(c);
            else children.computeIfAbsent(p.ref(), r -> new ArrayList<>()).add(c.ref());
        });
        List<Base> bases = new ArrayList<>();
        int versions = 0, chosen = 0;
        for (Map.Entry<String, List<Card>> e : rootsByBase.entrySet()) {
            List<Group> groups = new ArrayList<>();
            for (Card root : e.getValue()) groups.add(new GroupLayout(e.getKey()).of(root));
            int n = groups.stream().mapToInt(Group::versions).sum();
            bases.add(new Base(e.getKey(), n, groups));
            versions += n;
        }
        for (String ref : keep) if (selected.contains(ref)) chosen++;
        return new Graph(bases, versions, chosen);
    }

    /** The parent, when it is in the registry (a parent deleted since makes its child a root). */
    private Card parentOf(Card c) {
        return c.parent() == null ? null : cards.get(c.parent());
    }

    static int labelWidth(String label) {
        int cells = 0;
        for (int i = 0; i < label.length(); ) {
            int cp = label.codePointAt(i);
            cells += cp >= 0x1100 ? 2 : 1; // East Asian and other wide characters take two cells
            i += Character.charCount(cp);
        }
        return (int) Math.ceil(cells * CHAR_WIDTH);
    }

    /** One group's rows: the base model, the root below it, then each version's leaves and sub-trees. */
    private final class GroupLayout {
        private final List<Node> nodes = new ArrayList<>();
        private final List<Edge> edges = new ArrayList<>();
        private final String base;
        private int width;

        GroupLayout(String base) {
            this.base = base;
        }

        Group of(Card root) {
            Node b = node("base:" + base, "base", base, null, 0, 0, true);
            int rows = place(root, b, 1, 1);
            String title = root.ref() + (root.task().isEmpty() ? "" : " (" + root.task() + ")");
            return new Group(root.ref(), title, nodes.size() - 1, width + MARGIN, rows * ROW + MARGIN, nodes, edges);
        }

        /** Places {@code c} on {@code row} at {@code depth} under {@code parent}; returns the next free row. */
        private int place(Card c, Node parent, int depth, int row) {
            Node n = version(c, depth, row, 0);
            edges.add(new Edge(parent.id(), n.id(), elbow(parent, n, 0)));
            row++;
            List<Card> kids = children.getOrDefault(c.ref(), List.of()).stream()
                    .map(cards::get)
                    .toList();
            List<Card> leaves =
                    kids.stream().filter(k -> !children.containsKey(k.ref())).toList();
            if (!leaves.isEmpty()) row = grid(leaves, n, depth + 1, row);
            for (Card k : kids) if (children.containsKey(k.ref())) row = place(k, n, depth + 1, row);
            return row;
        }

        /** Leaves in columns as wide as their longest label, filled top to bottom, as many as fit the page. */
        private int grid(List<Card> leaves, Node parent, int depth, int row) {
            int column =
                    leaves.stream().mapToInt(l -> labelWidth(label(l))).max().orElse(0)
                            + 2 * RADIUS
                            + LABEL_GAP
                            + COLUMN_GAP;
            int fit = Math.max(1, (TARGET_WIDTH - depth * INDENT) / column);
            int columns = Math.max(1, Math.min(fit, (leaves.size() + MIN_LEAF_ROWS - 1) / MIN_LEAF_ROWS));
            int rows = (leaves.size() + columns - 1) / columns;
            for (int i = 0; i < leaves.size(); i++) {
                int col = i / rows;
                Node n = version(leaves.get(i), depth, row + i % rows, col * column);
                edges.add(new Edge(parent.id(), n.id(), elbow(parent, n, col * column)));
            }
            return row + rows;
        }

        private Node version(Card c, int depth, int row, int shift) {
            String kind = depth == 1 ? "root" : "downstream";
            String href = "/registry/" + c.name() + "/" + c.version();
            return node(c.ref(), kind, label(c), href, depth, row, selected.contains(c.ref()), shift);
        }

        private Node node(String id, String kind, String label, String href, int depth, int row, boolean sel) {
            return node(id, kind, label, href, depth, row, sel, 0);
        }

        private Node node(
                String id, String kind, String label, String href, int depth, int row, boolean sel, int shift) {
            int x = MARGIN + RADIUS + depth * INDENT + shift, y = row * ROW + ROW / 2;
            int labelX = x + RADIUS + LABEL_GAP, w = labelWidth(label);
            width = Math.max(width, labelX + w);
            Node n = new Node(id, kind, label, href, depth, x, y, labelX, w, sel);
            nodes.add(n);
            return n;
        }

        /**
         * Down from the parent, then right into the child. A leaf in a further column goes along the line between the
         * parent's row and the first leaf row, then down the gutter left of its column: no line crosses a label.
         */
        private String elbow(Node p, Node c, int shift) {
            int top = p.y() + RADIUS;
            if (shift == 0) return "M" + p.x() + " " + top + "V" + c.y() + "H" + (c.x() - RADIUS);
            int bus = p.y() + ROW / 2, gutter = c.x() - INDENT;
            return "M" + p.x() + " " + top + "V" + bus + "H" + gutter + "V" + c.y() + "H" + (c.x() - RADIUS);
        }
    }

    private static String label(Card c) {
        return c.ref() + (c.task().isEmpty() ? "" : " (" + c.task() + ")");
    }
}
