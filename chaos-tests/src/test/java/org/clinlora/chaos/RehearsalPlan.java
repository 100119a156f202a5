package org.clinlora.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One container of the render turned into a local process, before it is started: the environment exactly as the
 * manifest sets it (image environment, service links, {@code envFrom}, {@code env} in Kubernetes' order, references
 * resolved), then mapped — Secrets to local stand-ins, mounted paths to local directories with the same files, cluster
 * addresses to local ones, the container port to a free local port — and everything that cannot be mapped, or that the
 * jar does not read, listed as a problem of the manifest.
 */
final class RehearsalPlan {
    /** An HTTP probe of the manifest: which, the path, and the container port it targets. */
    record Probe(String kind, String path, int containerPort) {}

    final RehearsalRender.Workload workload;
    final JsonNode container;
    final String name;
    final RehearsalJar jar;
    final String pod;
    /** container port → local port. */
    final Map<Integer, Integer> ports;

    final Map<String, Integer> portNames = new LinkedHashMap<>();
    /** The process environment, and where each manifest-set variable came from. */
    final Map<String, String> env = new TreeMap<>();

    final Map<String, String> origin = new LinkedHashMap<>();
    final List<String> jvm = new ArrayList<>();
    final List<String> args = new ArrayList<>();
    /** mountPath → local directory (or file, for a subPath mount). */
    final Map<String, Path> mounts = new LinkedHashMap<>();

    final List<Probe> probes = new ArrayList<>();
    final Set<String> dependsOn = new LinkedHashSet<>();
    final List<String> problems = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    final Path dir;
    final Path workDir;
    final Path log;

    RehearsalPlan(
            RehearsalRender.Workload workload,
            JsonNode container,
            RehearsalJar jar,
            Map<Integer, Integer> ports,
            Path base) {
        this.workload = workload;
        this.container = container;
        this.name = container.path("name").asText();
        this.jar = jar;
        this.pod = workload.name() + "-rehearsal-0";
        this.ports = ports;
        this.dir = base.resolve(pod + "-" + name);
        this.workDir = dir.resolve("workdir");
        this.log = dir.resolve(name + ".log");
        for (JsonNode p : container.path("ports"))
            if (p.has("name"))
                portNames.put(p.path("name").asText(), p.path("containerPort").asInt());
    }

    String key() {
        return (workload.knative() ? "Service" : workload.kind()) + "/" + workload.name();
    }

    String label() {
        return key() + " container " + name;
    }

    int localPort(int containerPort) {
        return ports.get(containerPort);
    }

    /** Resolves everything; problems and notes say what could not be, or what was changed for here. */
    void resolve(RehearsalRender render, RehearsalHosts hosts, Path root, Map<String, RehearsalJar> consumers) {
        try {
            Files.createDirectories(workDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        RehearsalMounts.materialize(this, render);
        Map<String, String> manifest = manifestEnvironment(render);
        env.putAll(RehearsalLocal.imageEnvironment(root));
        if (workload.podSpec().path("enableServiceLinks").asBoolean(true)) env.putAll(serviceLinks(render));
        env.put("HOSTNAME", pod);
        if (workload.knative()) knativeEnvironment(manifest);
        checkNames(manifest, consumers);
        for (Map.Entry<String, String> e : manifest.entrySet())
            env.put(e.getKey(), map(e.getKey(), e.getValue(), hosts));
        port(manifest);
        httpHost(manifest);
        loopbackDefaults(manifest);
        probes();
        jvmAndArgs(manifest);
        RehearsalChecks.topics(this, render);
    }

    // ---- the environment as Kubernetes builds it

    private Map<String, String> manifestEnvironment(RehearsalRender render) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode from : container.path("envFrom")) {
            String prefix = from.path("prefix").asText("");
            if (from.has("configMapRef")) {
                String cm = from.path("configMapRef").path("name").asText();
                Optional<Map<String, String>> data =
                        render.configMap(cm).or(() -> RehearsalLocal.externalConfigMap(cm));
                if (data.isEmpty()) {
                    if (!from.path("configMapRef").path("optional").asBoolean(false))
                        problems.add("envFrom ConfigMap " + cm + " is neither in the render nor a known external one");
                    continue;
                }
                data.get().forEach((k, v) -> put(out, prefix + k, v, "envFrom ConfigMap " + cm));
            } else if (from.has("secretRef")) {
                String s = from.path("secretRef").path("name").asText();
                Optional<Map<String, byte[]>> data = RehearsalLocal.secretData(s);
                if (data.isEmpty())
                    problems.add("envFrom Secret " + s + ": no local stand-in (RehearsalLocal.SECRETS)");
                else
                    data.get()
                            .forEach((k, v) ->
                                    put(out, prefix + k, new String(v, StandardCharsets.UTF_8), "envFrom Secret " + s));
            }
        }
        for (JsonNode e : container.path("env")) {
            String var = e.path("name").asText();
            Optional<String> v = e.has("valueFrom")
                    ? valueFrom(var, e.path("valueFrom"), render)
                    : Optional.of(expand(e.path("value").asText(""), out));
            v.ifPresent(value -> put(out, var, value, e.has("valueFrom") ? "env " + ref(e.path("valueFrom")) : "env"));
        }
        return out;
    }

    private static String ref(JsonNode from) {
        String kind = from.fieldNames().next();
        JsonNode r = from.path(kind);
        return switch (kind) {
            case "configMapKeyRef" ->
                "ConfigMap " + r.path("name").asText() + "/" + r.path("key").asText();
            case "secretKeyRef" ->
                "Secret " + r.path("name").asText() + "/" + r.path("key").asText();
            case "fieldRef" -> "fieldRef " + r.path("fieldPath").asText();
            default -> kind;
        };
    }

    private void put(Map<String, String> out, String var, String value, String from) {
        out.put(var, value);
        origin.put(var, from);
    }

    private Optional<String> valueFrom(String var, JsonNode from, RehearsalRender render) {
        if (from.has("configMapKeyRef")) {
            JsonNode ref = from.path("configMapKeyRef");
            String cm = ref.path("name").asText(), key = ref.path("key").asText();
            Optional<String> v = render.configMap(cm)
                    .or(() -> RehearsalLocal.externalConfigMap(cm))
                    .map(d -> d.get(key));
            if (v.isEmpty() && !ref.path("optional").asBoolean(false))
                problems.add(var + ": configMapKeyRef " + cm + "/" + key + " is not in the render");
            return v;
        }
        if (from.has("secretKeyRef")) {
            JsonNode ref = from.path("secretKeyRef");
            String s = ref.path("name").asText(), key = ref.path("key").asText();
            Optional<String> v = RehearsalLocal.secret(s, key);
            if (v.isEmpty() && !ref.path("optional").asBoolean(false))
                problems.add(var + ": Secret " + s + " key " + key + " has no local stand-in (RehearsalLocal.SECRETS)");
            return v;
        }
        if (from.has("fieldRef")) {
            String path = from.path("fieldRef").path("fieldPath").asText();
            Optional<String> v = RehearsalLocal.field(path, pod, render.namespace());
            if (v.isEmpty()) problems.add(var + ": fieldRef " + path + " has no local value");
            return v;
        }
        if (from.has("resourceFieldRef")) return resourceField(var, from.path("resourceFieldRef"));
        problems.add(var + ": valueFrom " + from.fieldNames().next() + " is not rehearsed");
        return Optional.empty();
    }

    private Optional<String> resourceField(String var, JsonNode ref) {
        String[] r = ref.path("resource").asText().split("\\.", 2);
        JsonNode q = container.path("resources").path(r[0]).path(r[1]);
        if (q.isMissingNode()) {
            problems.add(var + ": resourceFieldRef " + ref.path("resource").asText() + " is not set on the container");
            return Optional.empty();
        }
        double divisor =
                ref.has("divisor") ? RehearsalQuantity.parse(ref.path("divisor").asText()) : 1;
        return Optional.of(String.valueOf((long) Math.ceil(RehearsalQuantity.parse(q.asText()) / divisor)));
    }

    /** Kubernetes' {@code $(VAR)} references to variables defined before ({@code $$} escapes). */
    private static String expand(String value, Map<String, String> before) {
        Matcher m = Pattern.compile("\\$\\$|\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)").matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String rep =
                    m.group().equals("$$") ? "$" : before.containsKey(m.group(1)) ? before.get(m.group(1)) : m.group();
            m.appendReplacement(out, Matcher.quoteReplacement(rep));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** What kubelet adds for every Service of the namespace ({@code enableServiceLinks}, on by default). */
    private static Map<String, String> serviceLinks(RehearsalRender render) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 10;
        List<Map.Entry<String, List<JsonNode>>> services = new ArrayList<>();
        for (var s : render.ofKind("Service")) {
            if (s.path("apiVersion").asText().startsWith("serving.knative.dev/")) continue;
            List<JsonNode> ports = new ArrayList<>();
            s.path("spec").path("ports").forEach(ports::add);
            services.add(Map.entry(RehearsalRender.nameOf(s), ports));
        }
        for (var k : render.ofKind("Kafka")) {
            List<JsonNode> ports = new ArrayList<>();
            k.path("spec").path("kafka").path("listeners").forEach(ports::add);
            services.add(Map.entry(RehearsalRender.nameOf(k) + "-kafka-bootstrap", ports));
        }
        services.add(Map.entry(
                "kubernetes",
                List.of(RehearsalRender.YAML
                        .createObjectNode()
                        .put("name", "https")
                        .put("port", 443))));
        for (var s : services) {
            String n = s.getKey().toUpperCase(Locale.ROOT).replace('-', '_');
            String ip = "10.96.0." + i++;
            if (s.getValue().isEmpty()) continue;
            out.put(n + "_SERVICE_HOST", ip);
            for (JsonNode p : s.getValue()) {
                int port = p.path("port").asInt();
                if (p == s.getValue().get(0)) {
                    out.put(n + "_SERVICE_PORT", String.valueOf(port));
                    out.put(n + "_PORT", "tcp://" + ip + ":" + port);
                }
                if (p.has("name"))
                    out.put(
                            n + "_SERVICE_PORT_"
                                    + p.path("name")
                                            .asText()
                                            .toUpperCase(Locale.ROOT)
                                            .replace('-', '_'),
                            String.valueOf(port));
                String pre = n + "_PORT_" + port + "_TCP";
                out.put(pre, "tcp://" + ip + ":" + port);
                out.put(pre + "_PROTO", "tcp");
                out.put(pre + "_PORT", String.valueOf(port));
                out.put(pre + "_ADDR", ip);
            }
        }
        return out;
    }

    private void knativeEnvironment(Map<String, String> manifest) {
        int cport = container.path("ports").path(0).path("containerPort").asInt(8080);
        env.put("PORT", String.valueOf(localPort(cport)));
        env.put("K_SERVICE", workload.name());
        env.put("K_CONFIGURATION", workload.name());
        env.put("K_REVISION", workload.name() + "-00001");
        notes.add("Knative: PORT=" + cport + " → " + localPort(cport));
    }

    // ---- checks of the names and values

    /**
     * Every variable the manifest sets must be read by the jar (or by the runtime, or, via a shared ConfigMap, by
     * another consumer).
     */
    private void checkNames(Map<String, String> manifest, Map<String, RehearsalJar> consumers) {
        for (String var : manifest.keySet()) {
            if (jar.reads(var) || RehearsalLocal.RUNTIME_VARIABLES.containsKey(var)) continue;
            if (var.startsWith("QUARKUS_") || var.startsWith("MP_") || var.startsWith("SMALLRYE_")) {
                notes.add(var + ": a framework key; the service's log must not call it unrecognized");
                continue;
            }
            String from = origin.get(var);
            if (from.startsWith("envFrom ConfigMap ")) {
                List<String> readers = consumers.values().stream()
                        .filter(j -> j.reads(var))
                        .map(j -> j.service)
                        .toList();
                if (!readers.isEmpty()) {
                    notes.add(var + " (" + from + ") is not read by " + jar.service + ", only by " + readers);
                    continue;
                }
            }
            problems.add(var + " (" + from + "): no such configuration name — " + jar.service
                    + "'s jar reads no " + var + " (no ${" + var + "} in its configuration, no property "
                    + var.toLowerCase(Locale.ROOT).replace('_', '.') + ", not a runtime variable)");
        }
    }

    private String map(String var, String value, RehearsalHosts hosts) {
        String v = RehearsalMounts.rewrite(this, var, value);
        List<String> found = new ArrayList<>();
        String mapped = hosts.map(var, v, problems, found, dependsOn);
        for (String f : found) notes.add(var + ": " + f);
        dependsOn.remove(key());
        return mapped;
    }

    /** The jar's HTTP port variable must make it listen on the container port the probes and Services use. */
    private void port(Map<String, String> manifest) {
        Optional<RehearsalJar.Setting> s = jar.settingOf("quarkus.http.port");
        if (s.isEmpty()) {
            problems.add(jar.service + ": quarkus.http.port is not ${VAR:default}; cannot move it to a free port");
            return;
        }
        String var = s.get().variable();
        String effective = manifest.getOrDefault(var, s.get().defaultValue());
        int containerPort;
        try {
            containerPort = Integer.parseInt(effective.trim());
        } catch (RuntimeException e) {
            problems.add(var + "=" + effective + " is not a port number");
            return;
        }
        if (!ports.containsKey(containerPort)) {
            problems.add(jar.service + " listens on " + containerPort + " (" + var
                    + (manifest.containsKey(var) ? "=" + effective : " unset, default " + effective)
                    + ") but the container declares port(s) " + ports.keySet());
            return;
        }
        env.put(var, String.valueOf(localPort(containerPort)));
        notes.add("port " + containerPort + " (" + var + (manifest.containsKey(var) ? "" : ", the jar's default")
                + ") → local " + localPort(containerPort));
    }

    /**
     * Inside a pod the service must listen on all interfaces (probes and Services reach the pod's IP); here 127.0.0.1.
     */
    private void httpHost(Map<String, String> manifest) {
        Optional<RehearsalJar.Setting> s = jar.settingOf("quarkus.http.host");
        if (s.isEmpty()) return;
        String var = s.get().variable();
        String effective = env.getOrDefault(var, s.get().defaultValue());
        if (!effective.equals("0.0.0.0") && !effective.equals("::"))
            problems.add(jar.service + " binds " + effective + " (" + var
                    + ") inside the pod: kubelet's probes and the " + "Service reach the pod's IP, not its loopback");
        env.put(var, "127.0.0.1");
        notes.add(var + "=" + effective + (manifest.containsKey(var) ? "" : " (image environment)")
                + " → 127.0.0.1 (loopback only here)");
    }

    /** A variable left unset whose default dials 127.0.0.1: fine on a laptop, nothing inside a pod. */
    private void loopbackDefaults(Map<String, String> manifest) {
        for (RehearsalJar.Setting s : jar.settingsByVariable.values()) {
            String d = s.defaultValue();
            if (d == null || manifest.containsKey(s.variable()) || env.containsKey(s.variable())) continue;
            if (s.key().startsWith("quarkus.otel.") && tracingOff()) continue; // the exporter is not used then
            if (d.matches("(?i).*(://|^)(127\\.0\\.0\\.1|localhost)(:\\d+).*"))
                problems.add(s.variable() + " is not set: " + jar.service + " would use its local default " + d
                        + " for " + s.key() + " inside the pod");
        }
    }

    /** Whether quarkus.otel.sdk.disabled resolves to true with this environment. */
    private boolean tracingOff() {
        return jar.settingOf("quarkus.otel.sdk.disabled")
                .map(t -> env.getOrDefault(t.variable(), String.valueOf(t.defaultValue())))
                .or(() -> Optional.ofNullable(jar.effective.getProperty("quarkus.otel.sdk.disabled")))
                .map(v -> Boolean.parseBoolean(v.trim()))
                .orElse(false);
    }

    private void probes() {
        for (String kind : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            JsonNode p = container.path(kind);
            if (p.isMissingNode()) continue;
            if (p.has("httpGet")) {
                JsonNode port = p.path("httpGet").path("port");
                Optional<Integer> cport;
                if (port.isMissingNode() && workload.knative()) // Knative probes the container's (one) port
                cport = ports.keySet().stream().findFirst();
                else if (port.isTextual() && !port.asText().matches("\\d+"))
                    cport = Optional.ofNullable(portNames.get(port.asText()));
                else cport = Optional.of(port.asInt(Integer.parseInt(port.asText("0"))));
                if (cport.isEmpty() || !ports.containsKey(cport.get())) {
                    problems.add(kind + " port " + port.asText() + " is no port the container declares " + portNames);
                    continue;
                }
                probes.add(new Probe(kind, p.path("httpGet").path("path").asText("/"), cport.get()));
            } else {
                notes.add(kind + ": not an httpGet probe, not rehearsed");
            }
        }
        if (probes.stream().noneMatch(p -> p.kind().equals("readinessProbe")))
            problems.add("no httpGet readinessProbe: nothing says when the pod may take traffic");
    }

    private void jvmAndArgs(Map<String, String> manifest) {
        JsonNode limits = container.path("resources").path("limits");
        Optional<Long> memory = limits.has("memory")
                ? Optional.of(
                        (long) RehearsalQuantity.parse(limits.path("memory").asText()))
                : Optional.empty();
        Optional<Integer> cpus = limits.has("cpu")
                ? Optional.of((int) Math.max(
                        1, Math.ceil(RehearsalQuantity.parse(limits.path("cpu").asText()))))
                : Optional.empty();
        jvm.addAll(RehearsalLocal.imageJvmOptions(memory, cpus));
        memory.ifPresent(m -> notes.add("limits.memory " + limits.path("memory").asText() + " → -XX:MaxRAM=" + m
                + " (the cgroup limit the JVM would see)"));
        if (memory.isPresent()
                && jar.reads("CLINLORA_MEMORY_LIMIT")
                && !manifest.containsKey("CLINLORA_MEMORY_LIMIT")) {
            env.put("CLINLORA_MEMORY_LIMIT", String.valueOf(memory.get()));
            notes.add("CLINLORA_MEMORY_LIMIT=" + memory.get()
                    + ": the container's cgroup limit, for the memory preflight");
        }
        if (mounts.containsKey("/tmp")) jvm.add("-Djava.io.tmpdir=" + mounts.get("/tmp"));
        for (String var : RehearsalLocal.JVM_OPTION_VARIABLES)
            if (env.containsKey(var) && !env.get(var).isBlank())
                jvm.addAll(List.of(env.get(var).trim().split("\\s+")));
        List<String> command = strings(container.path("command"));
        if (!command.isEmpty()) javaCommand(command);
        for (String a : strings(container.path("args")))
            args.add(RehearsalMounts.rewrite(this, "args", expand(a, env)));
    }

    /** A {@code command} that replaces the image's launcher: honoured when it is a java command line for this jar. */
    private void javaCommand(List<String> command) {
        if (!command.get(0).endsWith("java")) {
            problems.add("command " + command + " replaces the image's launcher and is not a java command line");
            return;
        }
        for (int i = 1; i < command.size(); i++) {
            String c = command.get(i);
            if (c.equals("-jar")) {
                i++;
                continue;
            }
            if (c.startsWith("-")) jvm.add(RehearsalMounts.rewrite(this, "command", expand(c, env)));
            else args.add(c);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** The manifest-set variables, for the report (Secrets' values hidden). */
    String describeEnvironment() {
        StringBuilder b = new StringBuilder();
        origin.keySet().stream().sorted(Comparator.naturalOrder()).forEach(k -> {
            boolean secret = origin.get(k).contains("Secret");
            b.append("    ")
                    .append(k)
                    .append('=')
                    .append(secret ? "<local stand-in>" : env.get(k))
                    .append("   [")
                    .append(origin.get(k))
                    .append("]\n");
        });
        return b.toString();
    }
}
