package org.clinlora.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Validates every object of every committed render ({@code k8s/rendered/*.yaml}, whatever overlays exist) against the
 * published schema of its kind: Kubernetes 1.34, the Prometheus operator, Strimzi, KEDA and Knative Serving, taken from
 * Maven and npm packages by {@code k8s/schemas.sh} (see {@link ManifestSchemas}). The schemas are strict: an unknown
 * field or a value of the wrong type fails, and this test proves it on copies of real objects of every kind the renders
 * hold. A kind without a published schema fails too, unless {@link #NO_SCHEMA_ALLOWED} names it.
 */
class ManifestSchemaTest {
    static final Path K8S =
            Path.of("").toAbsolutePath().getFileName().toString().equals("k8s")
                    ? Path.of("").toAbsolutePath()
                    : Path.of("k8s").toAbsolutePath();
    static final YAMLMapper YAML = new YAMLMapper();
    static final ManifestSchemas SCHEMAS = ManifestSchemas.load();

    /**
     * Kinds ({@code apiVersion/kind}) that may appear in a render without a published schema, each with the reason.
     * Deliberately empty: every kind the manifests use is covered by a package in {@code k8s/schemas.sh}; a new kind
     * gets its package there rather than an entry here.
     */
    static final Map<String, String> NO_SCHEMA_ALLOWED = Map.of();

    /**
     * A field that a newer release of an operator accepts but the packaged schema of its kind, older, does not list.
     * Such a field is not waved through: its value is validated against {@code validateAs}, a schema of the same
     * document (a definition, or a JSON pointer below one) that describes what the newer release accepts there.
     * Everything else about the object is validated as usual.
     *
     * @param kind {@code apiVersion/kind}
     * @param parent where the field may appear, as a regular expression over the validator's path
     * @param field the field
     * @param validateAs the schema its value must match
     * @param reason which release accepts it, and why the packaged schema does not list it
     */
    record NewerField(String kind, String parent, String field, String validateAs, String reason) {
        Optional<String> parentIn(String kindKey, String violation) {
            var m = Pattern.compile("^(" + parent + "): property '" + Pattern.quote(field) + "' is not defined.*")
                    .matcher(violation);
            return kind.equals(kindKey) && m.matches() ? Optional.of(m.group(1)) : Optional.empty();
        }
    }

    static final String KNATIVE_CONTAINER = "dev.knative.serving.v1.Service/properties/spec/properties/template"
            + "/properties/spec/properties/containers/items/properties/";
    static final String KEDA_AUTH_SPEC = "sh.keda.v1alpha1.TriggerAuthentication/properties/spec/properties/";

    /**
     * The packaged Knative Serving and KEDA schemas are those of Knative 1.10.1 and KEDA 2.10.1 (the newest that a
     * package ships as schema data: later @kubernetes-models releases ship only compiled validator code); the fields
     * below came later, and each is validated against the schema the same CRD uses for its twin.
     */
    static final List<NewerField> NEWER_THAN_SCHEMA = List.of(
            new NewerField(
                    "serving.knative.dev/v1/Service",
                    "\\$\\.spec\\.template\\.spec\\.containers\\[\\d+]",
                    "startupProbe",
                    KNATIVE_CONTAINER + "livenessProbe",
                    "Knative Serving accepts a container startupProbe since 1.15 (knative/serving#15309), a probe like"
                            + " the liveness and readiness probes this CRD describes"),
            new NewerField(
                    "keda.sh/v1alpha1/TriggerAuthentication",
                    "\\$\\.spec",
                    "configMapTargetRef",
                    KEDA_AUTH_SPEC + "secretTargetRef",
                    "KEDA reads TriggerAuthentication parameters from ConfigMaps since 2.13 (kedacore/keda#5111):"
                            + " configMapTargetRef, a list of {parameter, name, key} like secretTargetRef"));

    /**
     * Where else to plant an unknown field in a real object of a kind (JSON pointers to objects in it), besides its
     * {@code spec}: nested objects of each schema source. Where no rendered object of the kind has the path, the plant
     * is reported as skipped.
     */
    static final Map<String, List<String>> UNKNOWN_FIELD_DEEP = Map.of(
            "apps/v1/Deployment", List.of("/spec/template/spec/containers/0"),
            "apps/v1/StatefulSet", List.of("/spec/template/spec"),
            "batch/v1/Job", List.of("/spec/template/spec"),
            "networking.k8s.io/v1/NetworkPolicy", List.of("/spec/ingress/0", "/spec/egress/0"),
            "monitoring.coreos.com/v1/ServiceMonitor", List.of("/spec/endpoints/0"),
            "monitoring.coreos.com/v1/PrometheusRule", List.of("/spec/groups/0/rules/0"),
            "kafka.strimzi.io/v1beta2/Kafka", List.of("/spec/kafka/listeners/0"),
            "kafka.strimzi.io/v1beta2/KafkaUser", List.of("/spec/authorization/acls/0/resource"),
            "serving.knative.dev/v1/Service", List.of("/spec/template/spec/containers/0"),
            "keda.sh/v1alpha1/ScaledObject", List.of("/spec/triggers/0"));

    /** Where else to put a value of the wrong type in a real object of a kind (JSON pointers to values in it). */
    static final Map<String, List<String>> WRONG_TYPE_DEEP = Map.of(
            "apps/v1/Deployment", List.of("/spec/template/spec/containers/0/ports/0/containerPort"),
            "v1/Service", List.of("/spec/ports/0/port"),
            "networking.k8s.io/v1/NetworkPolicy", List.of("/spec/podSelector"),
            "monitoring.coreos.com/v1/ServiceMonitor", List.of("/spec/endpoints"),
            "monitoring.coreos.com/v1/PrometheusRule", List.of("/spec/groups/0/rules"),
            "kafka.strimzi.io/v1beta2/KafkaTopic", List.of("/spec/partitions"),
            "kafka.strimzi.io/v1beta2/KafkaNodePool", List.of("/spec/replicas"),
            "serving.knative.dev/v1/Service", List.of("/spec/template/spec/containers/0/ports/0/containerPort"),
            "keda.sh/v1alpha1/ScaledObject", List.of("/spec/triggers"));

    record Rendered(String file, int index, JsonNode object) {
        String describe() {
            JsonNode meta = object.path("metadata");
            String ns = meta.path("namespace").asText("");
            return file + " #" + index + " " + ManifestSchemas.kindKey(object) + " " + (ns.isEmpty() ? "" : ns + "/")
                    + meta.path("name").asText("?");
        }
    }

    static List<Path> renderFiles() {
        try (Stream<Path> files = Files.list(K8S.resolve("rendered"))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".yaml"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Rendered> rendered;

    /** Every object of every render, parsed once. */
    static synchronized List<Rendered> rendered() {
        if (rendered == null) {
            rendered = parseRenders();
        }
        return rendered;
    }

    private static List<Rendered> parseRenders() {
        List<Rendered> all = new ArrayList<>();
        for (Path file : renderFiles()) {
            try (MappingIterator<JsonNode> it = YAML.readValues(YAML.createParser(file.toFile()), JsonNode.class)) {
                int index = 0;
                while (it.hasNext()) {
                    JsonNode doc = it.next();
                    if (doc != null && doc.isObject()) {
                        all.add(new Rendered(file.getFileName().toString(), index++, doc));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(file + " is not YAML", e);
            }
        }
        return List.copyOf(all);
    }

    /** The first rendered object of each kind, in render order. */
    static Map<String, Rendered> firstOfEachKind() {
        Map<String, Rendered> first = new LinkedHashMap<>();
        for (Rendered r : rendered()) {
            first.putIfAbsent(ManifestSchemas.kindKey(r.object()), r);
        }
        return first;
    }

    /** The first rendered object of the kind that has something at {@code pointer}. */
    static Optional<Rendered> firstWith(String kindKey, String pointer) {
        return rendered().stream()
                .filter(r -> ManifestSchemas.kindKey(r.object()).equals(kindKey))
                .filter(r -> !r.object().at(pointer).isMissingNode())
                .findFirst();
    }

    /**
     * What is wrong with an object, one {@code $.path: message} per finding: its kind's schema, except that a field of
     * {@link #NEWER_THAN_SCHEMA} is validated against the schema named there.
     */
    static List<String> findings(JsonNode object) {
        String key = ManifestSchemas.kindKey(object);
        if (NO_SCHEMA_ALLOWED.containsKey(key) && SCHEMAS.definitionOf(key).isEmpty()) {
            return List.of();
        }
        List<String> findings = new ArrayList<>();
        for (String violation : SCHEMAS.violations(object)) {
            Optional<NewerField> newer = NEWER_THAN_SCHEMA.stream()
                    .filter(n -> n.parentIn(key, violation).isPresent())
                    .findFirst();
            if (newer.isEmpty()) {
                findings.add(violation);
                continue;
            }
            String path = newer.get().parentIn(key, violation).orElseThrow() + "."
                    + newer.get().field();
            JsonNode value = object.at(pointer(path));
            for (String inner : SCHEMAS.violationsOf(newer.get().validateAs(), value)) {
                findings.add(path + inner.substring(1));
            }
        }
        return findings;
    }

    /** {@code /spec/ports/0/port} as the validator names it: {@code $.spec.ports[0].port}. */
    static String jsonPath(String pointer) {
        StringBuilder path = new StringBuilder("$");
        for (String segment : pointer.split("/")) {
            if (!segment.isEmpty()) {
                path.append(segment.matches("\\d+") ? "[" + segment + "]" : "." + segment);
            }
        }
        return path.toString();
    }

    /** The inverse of {@link #jsonPath} for plain names and indexes. */
    static String pointer(String jsonPath) {
        return jsonPath.substring(1).replaceAll("\\[(\\d+)]", ".$1").replace('.', '/');
    }

    @Test
    void theRendersHoldObjects() {
        List<Path> files = renderFiles();
        assertFalse(files.isEmpty(), "no k8s/rendered/*.yaml: run k8s/render.sh");
        Set<String> withObjects = new TreeSet<>();
        rendered().forEach(r -> withObjects.add(r.file()));
        for (Path f : files) {
            assertTrue(withObjects.contains(f.getFileName().toString()), f + " holds no object");
        }
    }

    @TestFactory
    Stream<DynamicTest> everyObjectOfEveryRenderMatchesThePublishedSchemaOfItsKind() {
        return rendered().stream()
                .map(r -> DynamicTest.dynamicTest(r.describe(), () -> {
                    List<String> findings = findings(r.object());
                    assertTrue(
                            findings.isEmpty(),
                            () -> r.describe() + " does not match the published schema of its kind:\n  "
                                    + String.join("\n  ", findings));
                }));
    }

    @Test
    void aKindWithoutAPublishedSchemaFails() {
        ObjectNode widget = JsonNodeFactory.instance.objectNode();
        widget.put("apiVersion", "example.com/v1").put("kind", "Widget");
        widget.putObject("metadata").put("name", "w");
        List<String> findings = findings(widget);
        assertEquals(1, findings.size(), findings::toString);
        assertTrue(findings.get(0).contains("no published schema for example.com/v1/Widget"), findings::toString);
    }

    @TestFactory
    Stream<DynamicTest> anUnknownFieldIsRejectedInEveryKindRendered() {
        List<DynamicTest> tests = new ArrayList<>();
        firstOfEachKind()
                .forEach((key, r) ->
                        tests.add(plantUnknownField(r, r.object().path("spec").isObject() ? "/spec" : "")));
        UNKNOWN_FIELD_DEEP.forEach((key, pointers) -> pointers.forEach(at -> tests.add(firstWith(key, at)
                .map(r -> plantUnknownField(r, at))
                .orElseGet(() -> notRendered("unknown field at " + jsonPath(at) + " in " + key, key, at)))));
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> aValueOfTheWrongTypeIsRejectedInEveryKindRendered() {
        List<DynamicTest> tests = new ArrayList<>();
        firstOfEachKind().forEach((key, r) -> tests.add(plantWrongType(r, "/metadata/name")));
        WRONG_TYPE_DEEP.forEach((key, pointers) -> pointers.forEach(at -> tests.add(firstWith(key, at)
                .map(r -> plantWrongType(r, at))
                .orElseGet(() -> notRendered("wrong type at " + jsonPath(at) + " in " + key, key, at)))));
        return tests.stream();
    }

    @Test
    void theNestedPlantsRunOnTheRenderedDeployments() {
        assertTrue(firstWith("apps/v1/Deployment", "/spec/template/spec/containers/0")
                .isPresent());
        assertTrue(firstWith("apps/v1/Deployment", "/spec/template/spec/containers/0/ports/0/containerPort")
                .isPresent());
    }

    @Test
    void aKnativeStartupProbeIsValidatedAsAProbe() throws IOException {
        JsonNode good = YAML.readTree("""
                apiVersion: serving.knative.dev/v1
                kind: Service
                metadata: {name: s, namespace: n}
                spec:
                  template:
                    spec:
                      containers:
                      - image: example/s:1
                        startupProbe: {httpGet: {path: /q/health/started}, periodSeconds: 10, failureThreshold: 60}
                """);
        assertEquals(List.of(), findings(good));
        JsonNode bad = good.deepCopy();
        ObjectNode probe = (ObjectNode) bad.at("/spec/template/spec/containers/0/startupProbe");
        probe.put("periodSeconds", "ten").put("plantedUnknownField", true);
        List<String> findings = findings(bad);
        String at = "$.spec.template.spec.containers[0].startupProbe";
        assertTrue(findings.stream().anyMatch(f -> f.startsWith(at + ".periodSeconds:")), findings::toString);
        assertTrue(
                findings.stream().anyMatch(f -> f.startsWith(at + ":") && f.contains("plantedUnknownField")),
                findings::toString);
    }

    @Test
    void aKedaConfigMapTargetRefIsValidatedLikeASecretTargetRef() throws IOException {
        JsonNode good = YAML.readTree("""
                apiVersion: keda.sh/v1alpha1
                kind: TriggerAuthentication
                metadata: {name: a, namespace: n}
                spec:
                  configMapTargetRef: [{parameter: username, name: kafka-user, key: username}]
                  secretTargetRef: [{parameter: password, name: kafka-user, key: password}]
                """);
        assertEquals(List.of(), findings(good));
        JsonNode bad = good.deepCopy();
        ((ObjectNode) bad.at("/spec/configMapTargetRef/0")).put("key", 42).remove("name");
        List<String> findings = findings(bad);
        String at = "$.spec.configMapTargetRef[0]";
        assertTrue(findings.stream().anyMatch(f -> f.startsWith(at + ".key:")), findings::toString);
        assertTrue(findings.stream().anyMatch(f -> f.startsWith(at + ":") && f.contains("name")), findings::toString);
    }

    @Test
    void theNewerFieldsNameKindsAndDefinitionsThatExist() {
        for (NewerField n : NEWER_THAN_SCHEMA) {
            assertTrue(SCHEMAS.definitionOf(n.kind()).isPresent(), n.kind());
            assertTrue(SCHEMAS.has(n.validateAs()), n.validateAs());
            assertFalse(n.reason().isBlank(), n.toString());
        }
    }

    @Test
    void everyObjectSchemaThatListsPropertiesIsClosed() {
        List<String> open = new ArrayList<>();
        SCHEMAS.document()
                .path("definitions")
                .fields()
                .forEachRemaining(d -> walk(d.getValue(), "#/definitions/" + d.getKey(), open::add));
        assertTrue(open.isEmpty(), "object schemas that accept unknown fields: " + open);
    }

    @Test
    void everyKindComesFromAPackageWithAChecksum() {
        JsonNode doc = SCHEMAS.document();
        List<String> covered = new ArrayList<>();
        for (JsonNode source : doc.path("x-sources")) {
            assertTrue(
                    source.path("package").asText().matches("(maven|npm):.+"),
                    () -> "source without a package: " + source);
            assertTrue(
                    source.has("sha256") || source.path("integrity").asText().startsWith("sha512-"),
                    () -> "source without a checksum: " + source);
            source.path("kinds").forEach(k -> covered.add(k.asText()));
        }
        Set<String> kinds = new TreeSet<>();
        doc.path("x-kinds").fieldNames().forEachRemaining(kinds::add);
        assertEquals(kinds, new TreeSet<>(covered), "every kind is attributed to a source");
        assertEquals(kinds.size(), covered.size(), "no kind is attributed to two sources");
        for (String required : List.of(
                "apps/v1/Deployment",
                "serving.knative.dev/v1/Service",
                "keda.sh/v1alpha1/ScaledObject",
                "keda.sh/v1alpha1/ScaledJob",
                "keda.sh/v1alpha1/TriggerAuthentication",
                "monitoring.coreos.com/v1/ServiceMonitor",
                "monitoring.coreos.com/v1/PodMonitor",
                "monitoring.coreos.com/v1/PrometheusRule",
                "kafka.strimzi.io/v1beta2/Kafka",
                "kafka.strimzi.io/v1beta2/KafkaNodePool",
                "kafka.strimzi.io/v1beta2/KafkaTopic",
                "kafka.strimzi.io/v1beta2/KafkaUser")) {
            assertTrue(kinds.contains(required), required + " has a published schema");
        }
    }

    private static void walk(JsonNode schema, String where, Consumer<String> open) {
        if (schema.isArray()) {
            for (int i = 0; i < schema.size(); i++) {
                walk(schema.get(i), where + "/" + i, open);
            }
            return;
        }
        if (!schema.isObject()) {
            return;
        }
        if ("object".equals(schema.path("type").asText())
                && schema.path("properties").size() > 0
                && !schema.has("additionalProperties")
                && !schema.path("x-kubernetes-preserve-unknown-fields").asBoolean()) {
            open.accept(where);
        }
        schema.fields().forEachRemaining(f -> {
            if (f.getKey().equals("properties")) {
                f.getValue()
                        .fields()
                        .forEachRemaining(p -> walk(p.getValue(), where + "/properties/" + p.getKey(), open));
            } else if (f.getValue().isContainerNode()) {
                walk(f.getValue(), where + "/" + f.getKey(), open);
            }
        });
    }

    private static DynamicTest plantUnknownField(Rendered r, String at) {
        String field = "plantedUnknownField";
        String path = jsonPath(at);
        return DynamicTest.dynamicTest("unknown field " + field + " at " + path + " in " + r.describe(), () -> {
            JsonNode copy = r.object().deepCopy();
            ((ObjectNode) copy.at(at)).put(field, "x");
            List<String> findings = findings(copy);
            assertTrue(
                    findings.stream().anyMatch(v -> v.startsWith(path + ":") && v.contains("'" + field + "'")),
                    () -> "planting " + field + " at " + path + " in a copy of " + r.describe()
                            + " is not reported there: " + findings);
        });
    }

    private static DynamicTest plantWrongType(Rendered r, String at) {
        String path = jsonPath(at);
        return DynamicTest.dynamicTest("wrong type at " + path + " in " + r.describe(), () -> {
            JsonNode copy = r.object().deepCopy();
            JsonPointer pointer = JsonPointer.compile(at);
            JsonNode current = copy.at(pointer);
            JsonNode wrong = current.isTextual() ? IntNode.valueOf(42) : TextNode.valueOf("not-a-" + typeOf(current));
            JsonNode parent = copy.at(pointer.head());
            String last = pointer.last().getMatchingProperty();
            if (parent instanceof ArrayNode array) {
                array.set(Integer.parseInt(last), wrong);
            } else {
                ((ObjectNode) parent).set(last, wrong);
            }
            List<String> findings = findings(copy);
            assertTrue(
                    findings.stream().anyMatch(v -> v.startsWith(path + ":")),
                    () -> "putting " + wrong + " at " + path + " in a copy of " + r.describe()
                            + " is not reported there: " + findings);
        });
    }

    private static DynamicTest notRendered(String name, String kindKey, String pointer) {
        return DynamicTest.dynamicTest(
                name + " (not rendered)",
                () -> Assumptions.abort("no rendered " + kindKey + " has " + pointer + ": this plant did not run"));
    }

    private static String typeOf(JsonNode node) {
        return node.isNumber() ? "number" : node.isArray() ? "list" : node.isObject() ? "map" : "boolean";
    }
}
