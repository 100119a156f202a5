package org.clinlora.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.clinlora.platform.api.Problem;

/**
 * A service's OpenAPI contract, checked against what its test suite saw: every status the tests observed an operation
 * answer must be one its document lists, each error answer with the RFC 9457 problem body. Run by each service's
 * {@code *ContractIT} (failsafe, after the unit tests): the observations are {@code target/observed-statuses.txt},
 * written during the tests by the platform's {@code ObservedStatuses} ({@code METHOD path status} a line), and the
 * document is the one Quarkus stores at build ({@code quarkus.smallrye-openapi.store-schema-directory=target/openapi}).
 *
 * <p>Fails listing every (operation, status) observed but not documented, and every error answer of the document
 * without the problem body (or a "try later" one without {@code Retry-After}); prints, as information, the statuses
 * documented but never observed and the requests that match no documented operation (an unknown path's 404, a 405, the
 * service's {@code /q/} endpoints).
 */
public final class OpenApiContract {
    /** An operation of the document: an HTTP method and a path template such as {@code /v1/jobs/{id}}. */
    public record Operation(String method, String template) implements Comparable<Operation> {
        @Override
        public int compareTo(Operation o) {
            int c = template.compareTo(o.template);
            return c != 0 ? c : method.compareTo(o.method);
        }

        @Override
        public String toString() {
            return method + " " + template;
        }
    }

    /** What one comparison found. */
    public record Report(
            SortedMap<Operation, SortedMap<Integer, Integer>> undocumented,
            SortedMap<Operation, Set<Integer>> neverObserved,
            SortedMap<String, Integer> outsideTheDocument,
            List<String> badShapes,
            int operations,
            int documented,
            int observed) {

        public boolean holds() {
            return undocumented.isEmpty() && badShapes.isEmpty();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SHOWN = 40;

    private OpenApiContract() {}

    /** The check of the service whose module directory the test runs in (Maven sets {@code basedir}). */
    public static void assertHolds() {
        Path module = Path.of(System.getProperty("basedir", "."));
        assertHolds(module.resolve("target/openapi/openapi.json"), module.resolve("target/observed-statuses.txt"));
    }

    public static void assertHolds(Path document, Path observations) {
        if (!Files.isRegularFile(document))
            fail("no OpenAPI document at " + document + ": the service's build stores it "
                    + "(quarkus.smallrye-openapi.store-schema-directory=target/openapi)");
        if (!Files.isRegularFile(observations))
            fail("no observed statuses at " + observations + ": the service's tests record them when they run "
                    + "(mvn verify runs them before this check)");
        Report report;
        try {
            report =
                    compare(JSON.readTree(document.toFile()), Files.readAllLines(observations, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + document + " or " + observations, e);
        }
        System.out.println(describe(report));
        if (!report.holds()) fail(failures(report));
    }

    /** Compares the document with the observation lines ({@code METHOD path status}). */
    public static Report compare(JsonNode document, List<String> observationLines) {
        SortedMap<Operation, Set<Integer>> documented = documented(document);
        SortedMap<Operation, SortedMap<Integer, Integer>> seen = new TreeMap<>();
        SortedMap<String, Integer> outside = new TreeMap<>();
        for (String line : observationLines) {
            String[] f = line.trim().split(" ");
            if (f.length != 3) continue;
            Optional<Operation> op = operationOf(documented.keySet(), f[0], f[1]);
            if (op.isPresent()) {
                seen.computeIfAbsent(op.get(), k -> new TreeMap<>()).merge(Integer.parseInt(f[2]), 1, Integer::sum);
            } else {
                outside.merge(f[0] + " " + f[1] + " " + f[2], 1, Integer::sum);
            }
        }
        SortedMap<Operation, SortedMap<Integer, Integer>> undocumented = new TreeMap<>();
        seen.forEach((op, statuses) -> statuses.forEach((status, n) -> {
            if (!documented.get(op).contains(status))
                undocumented.computeIfAbsent(op, k -> new TreeMap<>()).put(status, n);
        }));
        SortedMap<Operation, Set<Integer>> never = new TreeMap<>();
        documented.forEach((op, statuses) -> {
            Set<Integer> missing = new TreeSet<>(statuses);
            missing.removeAll(seen.getOrDefault(op, new TreeMap<>()).keySet());
            if (!missing.isEmpty()) never.put(op, missing);
        });
        int documentedCount = documented.values().stream().mapToInt(Set::size).sum();
        int observedCount = seen.values().stream().mapToInt(Map::size).sum();
        return new Report(
                undocumented, never, outside, badShapes(document), documented.size(), documentedCount, observedCount);
    }

    /** Every operation of the document with the statuses it lists. */
    public static SortedMap<Operation, Set<Integer>> documented(JsonNode document) {
        SortedMap<Operation, Set<Integer>> ops = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths =
                        document.path("paths").fields();
                paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> m = path.getValue().fields(); m.hasNext(); ) {
                Map.Entry<String, JsonNode> method = m.next();
                if (!method.getValue().has("responses")) continue; // "parameters", "summary" of the path item
                Set<Integer> statuses = new TreeSet<>();
                method.getValue().path("responses").fieldNames().forEachRemaining(code -> {
                    if (code.matches("\\d{3}")) statuses.add(Integer.parseInt(code));
                });
                ops.put(new Operation(method.getKey().toUpperCase(), path.getKey()), statuses);
            }
        }
        return ops;
    }

    /**
     * The operation a request reached: the templates its path matches, the one with the most literal segments first (as
     * JAX-RS chooses), and of those the first that has the request's method. Empty for a path or method the document
     * does not have (the framework's 404 or 405).
     */
    public static Optional<Operation> operationOf(Set<Operation> operations, String method, String path) {
        String[] segments = segments(path);
        return operations.stream()
                .filter(op -> op.method().equals(method) && matches(segments(op.template()), segments))
                .max(Comparator.comparingInt(op -> literals(op.template())));
    }

    private static boolean matches(String[] template, String[] path) {
        if (template.length != path.length) return false;
        for (int i = 0; i < template.length; i++) {
            boolean variable = template[i].startsWith("{") && template[i].endsWith("}");
            if (variable ? path[i].isEmpty() : !template[i].equals(path[i])) return false;
        }
        return true;
    }

    private static int literals(String template) {
        int n = 0;
        for (String s : segments(template)) if (!s.startsWith("{")) n += s.length();
        return n;
    }

    private static String[] segments(String path) {
        String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        return p.startsWith("/") ? p.substring(1).split("/", -1) : p.split("/", -1);
    }

    /** Error answers without the problem body, and "try later" problems without Retry-After. */
    static List<String> badShapes(JsonNode document) {
        List<String> bad = new ArrayList<>();
        if (!document.at("/components/schemas/Problem/properties").has("reason"))
            bad.add("components.schemas.Problem is missing or has no 'reason'");
        documented(document).keySet().forEach(op -> {
            JsonNode responses = document.path("paths")
                    .path(op.template())
                    .path(op.method().toLowerCase())
                    .path("responses");
            responses.fieldNames().forEachRemaining(code -> {
                if (!code.matches("[45]\\d\\d")) return;
                JsonNode content = responses.path(code).path("content");
                if (content.isEmpty()) {
                    bad.add(op + " " + code + ": no body documented");
                } else if (content.has(Problem.MEDIA_TYPE)) {
                    String ref = content.path(Problem.MEDIA_TYPE)
                            .path("schema")
                            .path("$ref")
                            .asText();
                    if (!ref.endsWith("/Problem") && !ref.endsWith("/V2Problem"))
                        bad.add(op + " " + code + ": " + Problem.MEDIA_TYPE + " without the Problem schema");
                    if ((code.equals("429") || code.equals("503"))
                            && !responses.path(code).path("headers").has("Retry-After"))
                        bad.add(op + " " + code + ": no Retry-After header documented");
                }
            });
        });
        return bad;
    }

    private static String failures(Report r) {
        StringBuilder s = new StringBuilder("the OpenAPI contract does not hold:");
        r.undocumented()
                .forEach((op, statuses) -> statuses.forEach((status, n) -> s.append("\n  ")
                        .append(op)
                        .append(" answered ")
                        .append(status)
                        .append(" (")
                        .append(n)
                        .append(n == 1 ? " time" : " times")
                        .append("), which its OpenAPI document does not list")));
        r.badShapes().forEach(b -> s.append("\n  ").append(b));
        return s.toString();
    }

    /** The report for people: counts, then what was never observed and what matched no operation. */
    public static String describe(Report r) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(
                "OpenAPI contract: %d operations, %d statuses documented, %d (operation, status) observed, "
                        + "%d observed but undocumented%n",
                r.operations(),
                r.documented(),
                r.observed(),
                r.undocumented().values().stream().mapToInt(Map::size).sum()));
        if (!r.neverObserved().isEmpty()) {
            s.append("documented but never observed by the tests (information):%n".formatted());
            r.neverObserved()
                    .forEach((op, statuses) -> s.append("  ")
                            .append(op)
                            .append(' ')
                            .append(statuses)
                            .append(System.lineSeparator()));
        }
        if (!r.outsideTheDocument().isEmpty()) {
            s.append("requests that match no documented operation (information):%n".formatted());
            List<String> shown = r.outsideTheDocument().entrySet().stream()
                    .filter(e -> !e.getKey().contains(" /q/"))
                    .map(e -> "  " + e.getKey() + " x" + e.getValue())
                    .toList();
            shown.stream().limit(SHOWN).forEach(line -> s.append(line).append(System.lineSeparator()));
            if (shown.size() > SHOWN) s.append("  … and %d more%n".formatted(shown.size() - SHOWN));
        }
        return s.toString();
    }
}
