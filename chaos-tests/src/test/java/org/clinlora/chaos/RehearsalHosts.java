package org.clinlora.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalServices;

/**
 * The table of k8s Service names → local addresses, built from the render's Services: a Service selecting a rehearsed
 * workload's pods → that process's local port for the Service port's target; the object store's Service (MinIO's pods)
 * → the local S3Proxy, its https endpoint when MinIO serves TLS; a Strimzi Kafka's bootstrap Service → the local
 * broker, its plain listener for a plain one and its SASL_SSL listener for a TLS one with SCRAM-SHA-512 (infra's TLS
 * mode). A name not in the table (no such Service, a port the Service does not expose) or a URL whose scheme the server
 * does not speak (http:// to a TLS port, https:// to a plain one) is a problem of the manifest, reported as such.
 */
final class RehearsalHosts {
    /** Where {@code host:port} of the cluster is here, or why it is nowhere; whether it speaks TLS, where known. */
    record Target(String local, String why, String workload, Boolean tls) {
        Target(String local, String why) {
            this(local, why, null, null);
        }

        Target(String local, String why, String workload) {
            this(local, why, workload, null);
        }
    }

    /** {@code service → (port → target)}. */
    final Map<String, Map<Integer, Target>> table = new LinkedHashMap<>();

    final String namespace;

    private RehearsalHosts(String namespace) {
        this.namespace = namespace;
    }

    /**
     * @param localPort the local port of a rehearsed workload's container port ({@code "Deployment/registry-svc"},
     *     8080), empty when that workload is not rehearsed
     */
    static RehearsalHosts of(RehearsalRender render, LocalPorts localPort) {
        RehearsalHosts h = new RehearsalHosts(render.namespace());
        for (ObjectNode svc : render.ofKind("Service")) {
            String name = RehearsalRender.nameOf(svc);
            if (svc.path("apiVersion").asText().startsWith("serving.knative.dev/")) {
                h.knative(render, name, localPort);
            } else {
                h.service(render, svc, localPort);
            }
        }
        for (ObjectNode kafka : render.ofKind("Kafka")) h.kafka(kafka);
        return h;
    }

    /** Local port of a rehearsed workload's container port. */
    interface LocalPorts {
        Optional<Integer> of(String workload, int containerPort);
    }

    private void service(RehearsalRender render, ObjectNode svc, LocalPorts localPort) {
        String name = RehearsalRender.nameOf(svc);
        Map<String, String> selector = RehearsalRender.labels(svc.path("spec").path("selector"));
        Map<Integer, Target> ports = new LinkedHashMap<>();
        table.put(name, ports);
        for (JsonNode p : svc.path("spec").path("ports")) {
            int port = p.path("port").asInt();
            JsonNode target = p.has("targetPort") ? p.path("targetPort") : p.path("port");
            ports.put(port, target(render, name, selector, target, localPort));
        }
    }

    private static Target target(
            RehearsalRender render,
            String service,
            Map<String, String> selector,
            JsonNode targetPort,
            LocalPorts localPort) {
        for (Map.Entry<String, JsonNode> pod : render.podTemplates()) {
            Map<String, String> labels =
                    RehearsalRender.labels(pod.getValue().path("metadata").path("labels"));
            if (selector.isEmpty() || !labels.entrySet().containsAll(selector.entrySet())) continue;
            JsonNode containers = pod.getValue().path("spec").path("containers");
            Optional<Integer> cport = containerPort(containers, targetPort);
            if (cport.isEmpty())
                return new Target(
                        null,
                        "Service " + service + ": targetPort " + targetPort.asText() + " is no port of " + pod.getKey()
                                + "'s containers");
            if (isObjectStore(containers))
                return servesTls(containers)
                        ? new Target(
                                LocalInfra.S3_TLS_ENDPOINT.replaceFirst("^https://", ""),
                                "the local S3Proxy's https endpoint (MinIO serves TLS)",
                                null,
                                true)
                        : new Target(
                                LocalInfra.S3_ENDPOINT.replaceFirst("^https?://", ""),
                                "the local S3Proxy",
                                null,
                                false);
            String workload = pod.getKey();
            Optional<Integer> local = localPort.of(workload, cport.get());
            return local.map(l -> new Target(
                            "127.0.0.1:" + l, "the rehearsed " + workload + " (" + cport.get() + ")", workload))
                    .orElseGet(() -> new Target(
                            null, "Service " + service + " selects " + workload + ", which is not rehearsed here"));
        }
        return new Target(null, "Service " + service + " selects no pod of the render");
    }

    /** A container port by name or number. */
    static Optional<Integer> containerPort(JsonNode containers, JsonNode port) {
        for (JsonNode c : containers) {
            for (JsonNode p : c.path("ports")) {
                if (port.isInt() && p.path("containerPort").asInt() == port.asInt()) return Optional.of(port.asInt());
                if (port.isTextual() && port.asText().equals(p.path("name").asText()))
                    return Optional.of(p.path("containerPort").asInt());
            }
        }
        if (port.isInt()) return Optional.of(port.asInt());
        if (port.asText().matches("\\d+")) return Optional.of(Integer.parseInt(port.asText()));
        return Optional.empty();
    }

    private static boolean isObjectStore(JsonNode containers) {
        for (JsonNode c : containers) if (c.path("image").asText().matches("(.*/)?minio/minio(:.*)?")) return true;
        return false;
    }

    /** MinIO serves TLS when it is probed over HTTPS (its certificate in --certs-dir): what kubelet relies on too. */
    private static boolean servesTls(JsonNode containers) {
        for (JsonNode c : containers)
            for (String probe : List.of("readinessProbe", "livenessProbe"))
                if (c.path(probe).path("httpGet").path("scheme").asText().equals("HTTPS")) return true;
        return false;
    }

    /** A Knative Service is addressed as {@code <name>} on port 80 (its cluster-local route). */
    private void knative(RehearsalRender render, String name, LocalPorts localPort) {
        Map<Integer, Target> ports = new LinkedHashMap<>();
        table.put(name, ports);
        Optional<ObjectNode> ksvc = render.ofKind("Service").stream()
                .filter(o -> o.path("apiVersion").asText().startsWith("serving.knative.dev/"))
                .filter(o -> name.equals(RehearsalRender.nameOf(o)))
                .findFirst();
        JsonNode c = ksvc.get()
                .path("spec")
                .path("template")
                .path("spec")
                .path("containers")
                .path(0);
        int cport = c.path("ports").path(0).path("containerPort").asInt(8080);
        Optional<Integer> local = localPort.of("Service/" + name, cport);
        ports.put(
                80,
                local.map(l -> new Target("127.0.0.1:" + l, "the rehearsed Knative Service " + name, "Service/" + name))
                        .orElse(new Target(null, "Knative Service " + name + " is not rehearsed here")));
    }

    /**
     * Strimzi's {@code <cluster>-kafka-bootstrap}: a plain listener is the local broker's plain one, a TLS listener
     * with SCRAM-SHA-512 its SASL_SSL one; others (client certificates, SCRAM without TLS) have no stand-in.
     */
    private void kafka(ObjectNode kafka) {
        String name = RehearsalRender.nameOf(kafka) + "-kafka-bootstrap";
        Map<Integer, Target> ports = new LinkedHashMap<>();
        table.put(name, ports);
        for (JsonNode l : kafka.path("spec").path("kafka").path("listeners")) {
            boolean tls = l.path("tls").asBoolean(false);
            String auth = l.path("authentication").path("type").asText("");
            Target t;
            if (!tls && auth.isEmpty())
                t = new Target(LocalInfra.KAFKA_BOOTSTRAP, "the local Kafka broker (PLAINTEXT)");
            else if (tls && auth.equals("scram-sha-512"))
                t = new Target(
                        "127.0.0.1:" + LocalInfra.KAFKA_SSL_PORT,
                        "the local Kafka broker's SASL_SSL listener (SCRAM-SHA-512, infra's TLS mode)");
            else
                t = new Target(
                        null,
                        "listener " + l.path("name").asText() + " (tls " + tls + ", authentication " + auth
                                + ") has no local stand-in");
            ports.put(l.path("port").asInt(), t);
        }
    }

    private static final Pattern URL = Pattern.compile("\\b([a-z][a-z0-9+.-]*)://([A-Za-z0-9.-]+)(?::(\\d+))?");
    private static final Pattern HOST_PORTS = Pattern.compile("[A-Za-z0-9.-]+:\\d+(,[A-Za-z0-9.-]+:\\d+)*");

    /**
     * {@code value} with every cluster address in it replaced by its local one; a problem for each address that is in
     * no table. URLs ({@code scheme://host[:port]}) and {@code host:port[,host:port]} lists are addresses.
     */
    String map(String variable, String value, List<String> problems, List<String> notes, Set<String> workloads) {
        if (RehearsalLocal.identity(variable) || value.startsWith("file:")) return value;
        if (HOST_PORTS.matcher(value).matches()) {
            StringBuilder out = new StringBuilder();
            for (String hp : value.split(",")) {
                int colon = hp.lastIndexOf(':');
                String local = resolve(
                        variable,
                        hp.substring(0, colon),
                        Integer.parseInt(hp.substring(colon + 1)),
                        problems,
                        notes,
                        workloads);
                if (out.length() > 0) out.append(',');
                out.append(local == null ? hp : local);
            }
            return out.toString();
        }
        Matcher m = URL.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String scheme = m.group(1);
            int port = m.group(3) != null ? Integer.parseInt(m.group(3)) : scheme.equals("https") ? 443 : 80;
            String local = resolve(variable, m.group(2), port, problems, notes, workloads);
            Boolean tls = local == null ? null : tlsOf(m.group(2), port);
            if (tls != null && tls != scheme.equals("https"))
                problems.add(variable + " names " + m.group() + ": the server there "
                        + (tls ? "speaks" : "does not speak") + " TLS, " + scheme + ":// "
                        + (tls ? "would not be understood" : "would fail the handshake"));
            m.appendReplacement(out, Matcher.quoteReplacement(local == null ? m.group() : scheme + "://" + local));
        }
        m.appendTail(out);
        return out.toString();
    }

    private String resolve(
            String variable, String host, int port, List<String> problems, List<String> notes, Set<String> workloads) {
        String where = variable + " names " + host + ":" + port;
        if (host.equals("localhost") || host.matches("[0-9.]+")) {
            problems.add(where + ": a loopback/IP address, inside a pod that is the pod itself or nothing");
            return null;
        }
        Optional<String> service = serviceName(host);
        if (service.isEmpty()) {
            if (RehearsalLocal.EXTERNAL_ADDRESSES.containsKey(variable)) {
                String local = "127.0.0.1:" + LocalServices.freePort();
                notes.add(where + " → " + local + ": " + RehearsalLocal.EXTERNAL_ADDRESSES.get(variable));
                return local;
            }
            problems.add(where + ": outside namespace " + namespace + " and not a known cluster prerequisite");
            return null;
        }
        Map<Integer, Target> ports = table.get(service.get());
        if (ports == null) {
            problems.add(where + ": the render has no Service " + service.get());
            return null;
        }
        Target t = ports.get(port);
        if (t == null) {
            problems.add(where + ": Service " + service.get() + " exposes port(s) " + ports.keySet() + ", not " + port);
            return null;
        }
        if (t.local() == null) {
            problems.add(where + ": " + t.why());
            return null;
        }
        notes.add(host + ":" + port + " → " + t.local() + " (" + t.why() + ")");
        if (t.workload() != null) workloads.add(t.workload());
        return t.local();
    }

    /** Whether the Service port behind {@code host:port} speaks TLS, where the table knows. */
    private Boolean tlsOf(String host, int port) {
        return serviceName(host)
                .map(table::get)
                .map(p -> p.get(port))
                .map(Target::tls)
                .orElse(null);
    }

    /** {@code name}, {@code name.<ns>}, {@code name.<ns>.svc[.cluster.local]} of this namespace → {@code name}. */
    Optional<String> serviceName(String host) {
        String h = host.replaceFirst("\\.svc(\\.cluster\\.local)?$", "");
        String[] parts = h.split("\\.");
        if (parts.length == 1) return Optional.of(parts[0]);
        if (parts.length == 2 && parts[1].equals(namespace)) return Optional.of(parts[0]);
        return Optional.empty();
    }
}
