package org.clinlora.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One render of {@code k8s/} ({@code k8s/rendered/<overlay>.yaml}) as the rehearsal reads it: every object, looked up
 * by kind and name, and the workloads whose containers it rehearses (Deployments and Knative Services).
 */
final class RehearsalRender {
    static final ObjectMapper YAML = new YAMLMapper();

    /** A Deployment or Knative Service: its pod template's spec and labels. */
    record Workload(String kind, String name, ObjectNode podSpec, Map<String, String> podLabels) {
        boolean knative() {
            return kind.equals("knative/Service");
        }
    }

    final String source;
    final List<ObjectNode> objects;

    private RehearsalRender(String source, List<ObjectNode> objects) {
        this.source = source;
        this.objects = objects;
    }

    static RehearsalRender load(Path file) {
        List<ObjectNode> objects = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(Files.readString(file))) {
            Iterator<JsonNode> docs = YAML.readValues(parser, JsonNode.class);
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc instanceof ObjectNode o && o.has("kind")) objects.add(o);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return new RehearsalRender(file.toString(), objects);
    }

    /** A deep copy, for a test that plants a fault in it without touching the original. */
    RehearsalRender copy(String label) {
        List<ObjectNode> copies = new ArrayList<>();
        for (ObjectNode o : objects) copies.add(o.deepCopy());
        return new RehearsalRender(source + " (" + label + ")", copies);
    }

    String namespace() {
        for (ObjectNode o : objects) {
            String ns = o.path("metadata").path("namespace").asText("");
            if (!ns.isEmpty()) return ns;
        }
        return "default";
    }

    List<ObjectNode> ofKind(String kind) {
        List<ObjectNode> out = new ArrayList<>();
        for (ObjectNode o : objects) if (kind.equals(o.path("kind").asText())) out.add(o);
        return out;
    }

    Optional<ObjectNode> find(String kind, String name) {
        return ofKind(kind).stream().filter(o -> name.equals(nameOf(o))).findFirst();
    }

    static String nameOf(JsonNode o) {
        return o.path("metadata").path("name").asText();
    }

    /** Deployments and Knative Services ({@code serving.knative.dev}), in the order of the render. */
    List<Workload> workloads() {
        List<Workload> out = new ArrayList<>();
        for (ObjectNode o : objects) {
            String kind = o.path("kind").asText();
            boolean knative =
                    kind.equals("Service") && o.path("apiVersion").asText().startsWith("serving.knative.dev/");
            if (!kind.equals("Deployment") && !knative) continue;
            JsonNode template = o.path("spec").path("template");
            out.add(new Workload(
                    knative ? "knative/Service" : kind,
                    nameOf(o),
                    (ObjectNode) template.path("spec"),
                    labels(template.path("metadata").path("labels"))));
        }
        return out;
    }

    /** Pod templates of every kind that has one (StatefulSets too): what a Service's selector can match. */
    List<Map.Entry<String, JsonNode>> podTemplates() {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        for (ObjectNode o : objects) {
            JsonNode template = o.path("spec").path("template");
            if (template.has("spec") && template.path("spec").has("containers"))
                out.add(Map.entry(o.path("kind").asText() + "/" + nameOf(o), template));
        }
        return out;
    }

    static Map<String, String> labels(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    /** The ConfigMap's data, or empty when the render has no ConfigMap of that name. */
    Optional<Map<String, String>> configMap(String name) {
        return find("ConfigMap", name).map(cm -> labels(cm.path("data")));
    }
}
