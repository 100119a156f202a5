package org.clinlora.console.pages;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
    void baseThenClinicalThenDownstreamInColumnsAndAFocusKeepsOnlyItsFamily() throws Exception {
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
        for (LineageGraph.Node n : all.nodes()) assertEquals(n.depth() * 220.0, n.x(), "columns by depth: " + n.id());

        assertEquals(
                Set.of("base:llama", "clinical@1", "los@1", "los@2"),
                ids(LineageGraph.of(cards, "los")),
                "an adapter's ancestors only");
        assertEquals(
                Set.of("base:llama", "clinical@1", "los@1", "los@2", "mor@1"),
                ids(LineageGraph.of(cards, "clinical")),
                "and its descendants");
    }

    static Set<String> ids(LineageGraph.Graph g) {
        return g.nodes().stream().map(LineageGraph.Node::id).collect(Collectors.toSet());
    }

    static Set<String> edges(LineageGraph.Graph g) {
        return g.edges().stream().map(e -> e.source() + "->" + e.target()).collect(Collectors.toSet());
    }
}
