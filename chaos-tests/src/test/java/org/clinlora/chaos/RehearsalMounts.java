package org.clinlora.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pod's volumes as local directories: an emptyDir is an empty directory, a ConfigMap or Secret volume a directory
 * with one file per key (the render's ConfigMap, or the local stand-in of RehearsalLocal), {@code items} and
 * {@code subPath} as Kubernetes applies them. A value that names a mounted path is rewritten to the local one; a path
 * under a mount that names no file of it is a problem.
 */
final class RehearsalMounts {
    private RehearsalMounts() {}

    static void materialize(RehearsalPlan plan, RehearsalRender render) {
        Map<String, Path> volumes = new LinkedHashMap<>();
        for (JsonNode v : plan.workload.podSpec().path("volumes")) {
            String name = v.path("name").asText();
            Path dir = plan.dir.resolve("volumes").resolve(name);
            try {
                Files.createDirectories(dir);
                if (fill(plan, render, v, dir)) volumes.put(name, dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (JsonNode m : plan.container.path("volumeMounts")) {
            String name = m.path("name").asText(), path = m.path("mountPath").asText();
            Path dir = volumes.get(name);
            if (dir == null) {
                if (plan.workload.podSpec().path("volumes").findValues("name").stream()
                        .noneMatch(n -> n.asText().equals(name)))
                    plan.problems.add("volumeMount " + path + ": the pod has no volume " + name);
                continue;
            }
            String sub = m.path("subPath").asText("");
            plan.mounts.put(path, sub.isEmpty() ? dir : dir.resolve(sub));
        }
    }

    /** Fills a volume's directory; false when it cannot be made (a problem is recorded). */
    private static boolean fill(RehearsalPlan plan, RehearsalRender render, JsonNode v, Path dir) throws IOException {
        String name = v.path("name").asText();
        if (v.has("emptyDir")) return true;
        if (v.has("configMap")) return configMap(plan, render, v.path("configMap"), dir, "volume " + name);
        if (v.has("secret")) return secret(plan, v.path("secret"), dir, "volume " + name);
        if (v.has("projected")) {
            boolean ok = true;
            for (JsonNode s : v.path("projected").path("sources")) {
                if (s.has("configMap")) ok &= configMap(plan, render, s.path("configMap"), dir, "volume " + name);
                else if (s.has("secret")) ok &= secret(plan, s.path("secret"), dir, "volume " + name);
                else
                    plan.notes.add("volume " + name + ": projected source "
                            + s.fieldNames().next() + " left empty");
            }
            return ok;
        }
        plan.notes.add("volume " + name + " (" + v.fieldNames().next() + "): an empty local directory");
        return true;
    }

    private static boolean configMap(RehearsalPlan plan, RehearsalRender render, JsonNode ref, Path dir, String what)
            throws IOException {
        String cm = ref.path("name").asText();
        Optional<Map<String, String>> data = render.configMap(cm).or(() -> RehearsalLocal.externalConfigMap(cm));
        if (data.isEmpty()) {
            if (ref.path("optional").asBoolean(false)) return true;
            plan.problems.add(what + ": ConfigMap " + cm + " is neither in the render nor a known external one");
            return false;
        }
        plan.notes.add(what + ": ConfigMap " + cm + (render.configMap(cm).isPresent() ? " (render)" : " (stand-in)")
                + " → " + dir);
        Map<String, byte[]> bytes = new LinkedHashMap<>();
        data.get().forEach((k, v) -> bytes.put(k, v.getBytes(StandardCharsets.UTF_8)));
        return write(plan, bytes, ref.path("items"), dir, what + " ConfigMap " + cm);
    }

    private static boolean secret(RehearsalPlan plan, JsonNode ref, Path dir, String what) throws IOException {
        String s = ref.path("secretName").asText(ref.path("name").asText());
        Optional<Map<String, byte[]>> data = RehearsalLocal.secretData(s);
        if (data.isEmpty()) {
            if (ref.path("optional").asBoolean(false)) return true;
            plan.problems.add(what + ": Secret " + s + " has no local stand-in (RehearsalLocal.SECRETS)");
            return false;
        }
        plan.notes.add(what + ": Secret " + s + " (stand-in) → " + dir);
        return write(plan, data.get(), ref.path("items"), dir, what + " Secret " + s);
    }

    private static boolean write(RehearsalPlan plan, Map<String, byte[]> data, JsonNode items, Path dir, String what)
            throws IOException {
        if (items.isMissingNode() || items.isEmpty()) {
            for (var e : data.entrySet()) Files.write(dir.resolve(e.getKey()), e.getValue());
            return true;
        }
        for (JsonNode i : items) {
            String key = i.path("key").asText();
            if (!data.containsKey(key)) {
                plan.problems.add(what + " has no key " + key + " (items)");
                continue;
            }
            Path f = dir.resolve(i.path("path").asText(key));
            Files.createDirectories(f.getParent());
            Files.write(f, data.get(key));
        }
        return true;
    }

    /** {@code value} with mounted paths replaced by the local ones; checks what it names under them. */
    static String rewrite(RehearsalPlan plan, String var, String value) {
        String out = value;
        boolean mapped = false;
        for (String mount : plan.mounts.keySet().stream()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toList()) {
            Pattern p = Pattern.compile("(?<=^|[=:,;\\s])" + Pattern.quote(mount) + "(?=/|$|[,;:\\s])");
            Matcher m = p.matcher(out);
            if (!m.find()) continue;
            out = m.replaceAll(Matcher.quoteReplacement(plan.mounts.get(mount).toString()));
            mapped = true;
            checkNamedFile(plan, var, value, mount);
        }
        String path = value.startsWith("file:") ? value.substring(5) : value;
        if (!mapped && path.startsWith("/") && !path.contains(" ") && !var.equals("args")) unmounted(plan, var, path);
        return out;
    }

    private static void checkNamedFile(RehearsalPlan plan, String var, String value, String mount) {
        String path = value.startsWith("file:") ? value.substring(5) : value;
        boolean namesFile = value.startsWith("file:") || var.endsWith("_FILE") || var.endsWith("_LOCATION");
        if (!namesFile || !path.startsWith(mount)) return;
        Path local = Path.of(plan.mounts.get(mount) + path.substring(mount.length()));
        if (!Files.exists(local))
            plan.problems.add(var + "=" + value + ": no such file in the volume mounted at " + mount + " (it holds "
                    + list(plan.mounts.get(mount)) + ")");
    }

    private static String list(Path dir) {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList().toString();
        } catch (IOException e) {
            return "nothing";
        }
    }

    private static void unmounted(RehearsalPlan plan, String var, String path) {
        boolean readOnly = plan.container
                .path("securityContext")
                .path("readOnlyRootFilesystem")
                .asBoolean(false);
        boolean written = var.matches(".*(_CACHE|_DIR|_TMP|_TMPDIR|_HOME|_DATA)$");
        if (readOnly && written)
            plan.problems.add(var + "=" + path + ": not on a mounted volume, and the root filesystem is read-only");
        else plan.notes.add(var + "=" + path + ": a path in the image's filesystem, kept as is");
    }
}
