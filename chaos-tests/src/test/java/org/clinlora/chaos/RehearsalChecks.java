package org.clinlora.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.clinlora.platform.auth.Jwts;
import org.clinlora.platform.auth.Roles;
import org.clinlora.testing.TestAuth;

/**
 * What the rehearsal checks besides readiness: the topics a jar uses exist as KafkaTopics of the render (whose broker
 * does not create topics), and, on a started service, every probe path of the manifest on its port, every declared
 * port, the ServiceMonitors' scrape endpoints, that the CLI's tokens are accepted (and a stranger's are not), and that
 * the service's log calls no configuration key unrecognized.
 */
final class RehearsalChecks {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private RehearsalChecks() {}

    /** A GET: status and body; status -1 when nothing answers. */
    record Answer(int status, String body) {}

    static Answer get(String url, String token) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(5))
                    .GET();
            if (token != null) b.header("Authorization", "Bearer " + token);
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body());
        } catch (ConnectException e) {
            return new Answer(-1, "connection refused");
        } catch (IOException e) {
            return new Answer(-1, e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(-1, "interrupted");
        }
    }

    /** Static: every topic the jar's configuration names is a KafkaTopic, when the render's broker creates none. */
    static void topics(RehearsalPlan plan, RehearsalRender render) {
        boolean autoCreate = render.ofKind("Kafka").stream()
                .anyMatch(k -> k.path("spec")
                        .path("kafka")
                        .path("config")
                        .path("auto.create.topics.enable")
                        .asBoolean(true));
        if (render.ofKind("Kafka").isEmpty() || autoCreate) return;
        Set<String> declared = new TreeSet<>();
        for (var t : render.ofKind("KafkaTopic"))
            declared.add(t.path("spec").path("topicName").asText(RehearsalRender.nameOf(t)));
        for (String topic : plan.jar.topics)
            if (!declared.contains(topic))
                plan.problems.add("topic " + topic + " (" + plan.jar.service + "'s messaging configuration) is no "
                        + "KafkaTopic of the render, and its broker has auto.create.topics.enable=false");
    }

    /** On a ready service: probes, ports, scrape endpoints, tokens, log. Problems go to the plan. */
    static void live(RehearsalPlan plan, RehearsalRender render, RehearsalHosts hosts) {
        for (RehearsalPlan.Probe p : plan.probes) {
            String url = "http://127.0.0.1:" + plan.localPort(p.containerPort()) + p.path();
            Answer a = get(url, null);
            if (a.status() < 200 || a.status() >= 400)
                plan.problems.add(p.kind() + " GET " + p.path() + " on port " + p.containerPort() + " answered "
                        + a.status() + ": " + abbreviate(a.body()));
            else plan.notes.add(p.kind() + " " + p.path() + " → " + a.status());
        }
        for (Map.Entry<Integer, Integer> port : plan.ports.entrySet()) {
            Answer a = get("http://127.0.0.1:" + port.getValue() + "/", null);
            if (a.status() < 0)
                plan.problems.add("declared port " + port.getKey() + " (local " + port.getValue()
                        + ") does not answer: " + a.body());
        }
        monitors(plan, render, hosts);
        tokens(plan);
        log(plan);
    }

    /** ServiceMonitors (selector on Service labels; endpoint = a Service port name and a path) that select this pod. */
    private static void monitors(RehearsalPlan plan, RehearsalRender render, RehearsalHosts hosts) {
        for (var sm : render.ofKind("ServiceMonitor")) {
            for (var svc : render.ofKind("Service")) {
                if (!selects(
                        sm.path("spec").path("selector"), svc.path("metadata").path("labels"))) continue;
                if (!selectsPod(svc.path("spec").path("selector"), plan.workload.podLabels())) continue;
                for (JsonNode ep : sm.path("spec").path("endpoints")) {
                    String portName = ep.path("port").asText();
                    Optional<Integer> cport = Optional.empty();
                    for (JsonNode p : svc.path("spec").path("ports"))
                        if (portName.equals(p.path("name").asText()))
                            cport = RehearsalHosts.containerPort(
                                    JSON.createArrayNode().add(plan.container),
                                    p.has("targetPort") ? p.path("targetPort") : p.path("port"));
                    String what = "ServiceMonitor " + RehearsalRender.nameOf(sm) + " endpoint " + portName
                            + ep.path("path").asText("/metrics") + " via Service " + RehearsalRender.nameOf(svc);
                    if (cport.isEmpty() || !plan.ports.containsKey(cport.get())) {
                        plan.problems.add(what + ": the Service has no such port for this container");
                        continue;
                    }
                    Answer a = get(
                            "http://127.0.0.1:" + plan.localPort(cport.get())
                                    + ep.path("path").asText("/metrics"),
                            null);
                    if (a.status() != 200 || !a.body().contains("# TYPE"))
                        plan.problems.add(what + " answered " + a.status() + ", not Prometheus metrics");
                    else plan.notes.add(what + " → 200, " + a.body().lines().count() + " lines");
                }
            }
        }
    }

    static boolean selects(JsonNode selector, JsonNode labels) {
        for (var e : RehearsalRender.labels(selector.path("matchLabels")).entrySet())
            if (!e.getValue().equals(labels.path(e.getKey()).asText(null))) return false;
        for (JsonNode x : selector.path("matchExpressions")) {
            String v = labels.path(x.path("key").asText()).asText(null);
            List<String> values = new ArrayList<>();
            x.path("values").forEach(n -> values.add(n.asText()));
            boolean ok =
                    switch (x.path("operator").asText()) {
                        case "In" -> values.contains(v);
                        case "NotIn" -> v == null || !values.contains(v);
                        case "Exists" -> v != null;
                        case "DoesNotExist" -> v == null;
                        default -> false;
                    };
            if (!ok) return false;
        }
        return true;
    }

    private static boolean selectsPod(JsonNode serviceSelector, Map<String, String> podLabels) {
        Map<String, String> sel = RehearsalRender.labels(serviceSelector);
        return !sel.isEmpty() && podLabels.entrySet().containsAll(sel.entrySet());
    }

    /**
     * A bearer-protected GET of the service's OpenAPI document: refused without a token, accepted with the CLI's (the
     * test issuer's, https://clinlora.local/dev), refused with a token of the same issuer signed by another key.
     */
    private static void tokens(RehearsalPlan plan) {
        String base = "http://127.0.0.1:" + plan.localPort(plan.probes.get(0).containerPort());
        Answer doc = get(base + "/q/openapi?format=json", null);
        if (doc.status() != 200) {
            plan.notes.add("tokens: no OpenAPI document (" + doc.status() + "), not checked");
            return;
        }
        List<String> paths = new ArrayList<>();
        try {
            JSON.readTree(doc.body()).path("paths").fields().forEachRemaining(e -> {
                if (e.getValue().has("get") && !e.getKey().contains("{")) paths.add(e.getKey());
            });
        } catch (IOException e) {
            plan.problems.add("tokens: the OpenAPI document is not JSON");
            return;
        }
        for (String path : paths.stream().sorted().limit(8).toList()) {
            if (get(base + path, null).status() != 401) continue;
            Answer cli = get(base + path, TestAuth.allRoles());
            if (cli.status() == 401 || cli.status() == 403)
                plan.problems.add("tokens: GET " + path + " refuses a token of the CLI's issuer " + Jwts.DEV_ISSUER
                        + " with every role (" + cli.status() + "): CLINLORA_JWT_ISSUER / the public key do not "
                        + "match what ./clinlora token mints");
            Answer stranger = get(base + path, stranger());
            if (stranger.status() != 401)
                plan.problems.add(
                        "tokens: GET " + path + " accepts a token signed by another key (" + stranger.status() + ")");
            if (cli.status() != 401 && cli.status() != 403 && stranger.status() == 401)
                plan.notes.add("tokens: GET " + path + " → 401 without, " + cli.status() + " with the CLI's token, "
                        + "401 with a stranger's");
            return;
        }
        plan.notes.add("tokens: no bearer-protected GET without path parameters found, not checked");
    }

    private static String stranger;

    private static synchronized String stranger() {
        if (stranger == null) {
            try {
                stranger = Jwts.devIssuer(Files.createTempDirectory("rehearsal-stranger"))
                        .mint("stranger", List.copyOf(Roles.ALL), Duration.ofHours(1));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return stranger;
    }

    /**
     * Quarkus warns of a configuration key it does not know (QUARKUS_*, -Dquarkus.*): a name the manifest got wrong.
     */
    private static void log(RehearsalPlan plan) {
        for (String line : logLines(plan.log))
            if (line.contains("Unrecognized configuration key")) plan.problems.add("log: " + abbreviate(line.trim()));
    }

    static List<String> logLines(Path log) {
        try {
            return Files.exists(log) ? Files.readAllLines(log) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    static String tail(Path log, int lines) {
        List<String> all = logLines(log);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    static String abbreviate(String s) {
        String one = s.replaceAll("\\s+", " ");
        return one.length() <= 400 ? one : one.substring(0, 400) + "…";
    }
}
