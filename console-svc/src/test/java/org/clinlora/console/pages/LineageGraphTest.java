package org.clinlora.console.pages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LineageGraphTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode card(String name, int version, String parent, String base) throws Exception {
        return JSON.readTree("{\"name\":\"" + name + "\",\"version\":" + version + ",\"task\":\"t\","
                + (parent == null ? "" : "\"parent\":\"" + parent + "\",") + "\"baseModel\":{\"id\":\"" + base
                + "\"}}");
    }

    @Test
    void baseThenClinicalThenDownstreamInLayersAndAFocusKeepsOnlyItsFamily() throws Exception {
        List<JsonNode> cards = List.of(
                card("clinical", 1, null, "llama"),
                card("los", 1, "clinical@1", "llama"),
                card("los", 2, "clinical@1", "llama"),
                card("mor", 1, "clinical@1", "llama"),
                card("other", 1, null, "mistral"));
        LineageGraph.Graph all = LineageGraph.of(cards, null);
        assertEquals(
                Set.of("base:llama", "base:mistral", "clinical@1", "los@1", "los@2", "mor@1", "other@1"), ids(all));
        assertEquals(
                Set.of(
                        "base:llama->clinical@1",
                        "clinical@1->los@1",
                        "clinical@1->los@2",
                        "clinical@1->mor@1",
                        "base:mistral->other@1"),
                edges(all));
        assertEquals(
                List.of("llama", "mistral"),
                all.bases().stream().map(LineageGraph.Base::id).toList());
        for (LineageGraph.Node n : all.nodes()) {
            int layer = n.id().startsWith("base:")
                    ? 0
                    : n.id().startsWith("clinical") || n.id().startsWith("other") ? 1 : 2;
            assertEquals(layer, n.depth(), "base → Clinical LoRA → downstream: " + n.id());
        }

        assertEquals(
                Set.of("base:llama", "clinical@1", "los@1", "los@2"),
                ids(LineageGraph.of(cards, LineageGraph.family(cards, "los"))),
                "an adapter's ancestors only");
        assertEquals(
                Set.of("base:llama", "clinical@1", "los@1", "los@2", "mor@1"),
                ids(LineageGraph.of(cards, LineageGraph.family(cards, "clinical"))),
                "and its descendants");
    }

    @Test
    void aSearchKeepsWhatItSelectsWithItsAncestorsForContext() throws Exception {
        List<JsonNode> cards = List.of(
                card("clinical", 1, null, "llama"),
                card("los", 1, "clinical@1", "llama"),
                card("mor", 1, "clinical@1", "llama"),
                card("other", 1, null, "mistral"));
        LineageGraph.Graph g = LineageGraph.of(cards, Set.of("los@1"));
        assertEquals(Set.of("base:llama", "clinical@1", "los@1"), ids(g));
        assertEquals(2, g.versions());
        assertEquals(1, g.selected());
        assertFalse(node(g, "clinical@1").selected(), "an ancestor is context, not a match");
        assertTrue(node(g, "los@1").selected());
        assertTrue(LineageGraph.of(cards, Set.of()).bases().isEmpty(), "a search that selects nothing draws nothing");
    }

    /** 500 versions: 5 Clinical LoRAs on 2 bases, most downstream LoRAs on the first, some stacked three deep. */
    @Test
    void fiveHundredVersionsAreGroupedByBaseAndClinicalLoraAndNoTwoLabelsOverlap() throws Exception {
        List<JsonNode> cards = new ArrayList<>();
        for (int c = 0; c < 5; c++) cards.add(card("clinical-" + c, 1, null, c < 4 ? "llama-7b" : "mistral-7b"));
        for (int i = 0; i < 495; i++) {
            String parent = i < 300
                    ? "clinical-0@1"
                    : i < 480 ? "clinical-" + (i % 5) + "@1" : "downstream-" + (i - 480) + "@1";
            cards.add(card("downstream-" + i, 1, parent, "llama-7b"));
        }
        LineageGraph.Graph g = LineageGraph.of(cards, null);
        assertEquals(500, g.versions());
        assertEquals(2, g.bases().size());
        LineageGraph.Base llama = g.bases().get(0);
        assertEquals(
                List.of("clinical-0@1", "clinical-1@1", "clinical-2@1", "clinical-3@1"),
                llama.groups().stream().map(LineageGraph.Group::root).toList());
        LineageGraph.Group big = llama.groups().get(0);
        assertEquals(1 + 300 + 36 + 15, big.versions(), "the root, its children and the versions stacked on those");
        assertTrue(big.height() < 200 * LineageGraph.ROW, "leaves share rows: " + big.height());
        assertTrue(big.width() <= LineageGraph.TARGET_WIDTH + 2 * LineageGraph.MARGIN, "fits the page: " + big.width());
        for (LineageGraph.Base b : g.bases())
            for (LineageGraph.Group group : b.groups()) {
                List<LineageGraph.Node> nodes = group.nodes();
                for (int i = 0; i < nodes.size(); i++)
                    for (int j = i + 1; j < nodes.size(); j++)
                        assertFalse(
                                overlap(nodes.get(i), nodes.get(j)),
                                nodes.get(i).id() + " and " + nodes.get(j).id() + " overlap");
            }
        LineageGraph.Node deep = node(g, "downstream-480@1");
        assertEquals(3, deep.depth(), "a downstream LoRA on a downstream LoRA is a layer further");
    }

    /** Label boxes and node discs: neither may touch another node's. */
    static boolean overlap(LineageGraph.Node a, LineageGraph.Node b) {
        int h = LineageGraph.LABEL_HEIGHT / 2, r = LineageGraph.RADIUS;
        int[] ab = {a.x() - r, a.y() - h, a.labelX() + a.labelWidth(), a.y() + h};
        int[] bb = {b.x() - r, b.y() - h, b.labelX() + b.labelWidth(), b.y() + h};
        return ab[0] < bb[2] && bb[0] < ab[2] && ab[1] < bb[3] && bb[1] < ab[3];
    }

    static LineageGraph.Node node(LineageGraph.Graph g, String id) {
        return g.nodes().stream().filter(n -> n.id().equals(id)).findFirst().orElseThrow();
    }

    static Set<String> ids(LineageGraph.Graph g) {
        return g.nodes().stream().map(LineageGraph.Node::id).collect(Collectors.toSet());
    }

    static Set<String> edges(LineageGraph.Graph g) {
        return g.edges().stream().map(e -> e.source() + "->" + e.target()).collect(Collectors.toSet());
    }
}
