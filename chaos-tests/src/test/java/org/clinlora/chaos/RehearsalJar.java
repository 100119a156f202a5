package org.clinlora.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * What a service's built jar reads, found in the jar itself (not in a list kept by hand): the environment variables its
 * configuration files name ({@code ${CLINLORA_X:default}} in its {@code application.properties} and the platform's
 * {@code microprofile-config.properties}) and its classes name as constants, the environment form of every property
 * those files set (SmallRye Config maps {@code CLINLORA_SCORER_MAX_BATCH_ROWS} onto
 * {@code clinlora.scorer.max-batch-rows}), the variable and default of its HTTP port and host, and the Kafka topics it
 * uses.
 */
final class RehearsalJar {
    private static final Pattern EXPRESSION = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)(?::([^}]*))?}");
    private static final Pattern CONSTANT = Pattern.compile("CLINLORA_[A-Z0-9_]*[A-Z0-9]");
    private static final Pattern TOPIC_KEY =
            Pattern.compile("mp\\.messaging\\.(incoming|outgoing)\\.[^.]+\\.(topic|dead-letter-queue\\.topic)");

    /** A {@code key=${VAR:default}} of the configuration: which variable sets it, and what it is when unset. */
    record Setting(String key, String variable, String defaultValue) {}

    final String service;
    final Path app;
    final Set<String> variables = new TreeSet<>();
    final Set<String> propertyVariables = new TreeSet<>();
    final Map<String, Setting> settingsByVariable = new LinkedHashMap<>();
    final Set<String> topics = new TreeSet<>();
    /** Properties of the service's own application.properties over the platform's shared ones. */
    final Properties effective = new Properties();

    private RehearsalJar(String service, Path app) {
        this.service = service;
        this.app = app;
    }

    static Path appDir(Path root, String service) {
        return root.resolve(service).resolve("target/quarkus-app");
    }

    static boolean exists(Path root, String service) {
        return Files.isRegularFile(appDir(root, service).resolve("quarkus-run.jar"));
    }

    private static final Map<Path, RehearsalJar> READ = new ConcurrentHashMap<>();

    /** The jar's facts, read once per test JVM. */
    static RehearsalJar read(Path root, String service) {
        return READ.computeIfAbsent(appDir(root, service).toAbsolutePath(), d -> scan(root, service));
    }

    private static RehearsalJar scan(Path root, String service) {
        RehearsalJar j = new RehearsalJar(service, appDir(root, service));
        List<Path> jars = new ArrayList<>();
        try (Stream<Path> app = Files.list(j.app.resolve("app"));
                Stream<Path> lib = Files.list(j.app.resolve("lib/main"))) {
            app.filter(p -> p.toString().endsWith(".jar")).forEach(jars::add);
            lib.filter(p -> p.getFileName().toString().startsWith("org.clinlora."))
                    .forEach(jars::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + j.app, e);
        }
        Properties shared = new Properties();
        Properties own = new Properties();
        for (Path jar : jars) j.scan(jar, shared, own);
        j.effective.putAll(shared);
        j.effective.putAll(own);
        for (String key : j.effective.stringPropertyNames()) j.topic(key);
        return j;
    }

    private void scan(Path jar, Properties shared, Properties own) {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (ZipEntry e : zip.stream().toList()) {
                String name = e.getName();
                if (name.endsWith(".class")) {
                    classConstants(read(zip, e));
                } else if (name.equals("application.properties")) {
                    properties(read(zip, e), own);
                } else if (name.equals("META-INF/microprofile-config.properties")) {
                    properties(read(zip, e), shared);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + jar, e);
        }
    }

    private static byte[] read(ZipFile zip, ZipEntry e) throws IOException {
        try (InputStream in = zip.getInputStream(e)) {
            return in.readAllBytes();
        }
    }

    /** {@code "CLINLORA_…"} string constants (a class file's constant pool holds them as plain bytes). */
    private void classConstants(byte[] bytes) {
        Matcher m = CONSTANT.matcher(new String(bytes, StandardCharsets.ISO_8859_1));
        while (m.find()) variables.add(m.group());
    }

    private void properties(byte[] bytes, Properties into) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(new String(bytes, StandardCharsets.UTF_8)));
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("%")) continue; // a profile's (test, dev) value, not what the image runs
            String value = p.getProperty(key);
            into.setProperty(key, value);
            propertyVariables.add(envForm(key));
            Matcher m = EXPRESSION.matcher(value);
            while (m.find()) {
                variables.add(m.group(1));
                settingsByVariable.putIfAbsent(m.group(1), new Setting(key, m.group(1), m.group(2)));
            }
        }
    }

    private void topic(String key) {
        if (!TOPIC_KEY.matcher(key).matches()) return;
        String topic = effective.getProperty(key).trim();
        if (!topic.contains("${")) topics.add(topic);
    }

    /** SmallRye Config's environment form of a property name: {@code a.b-c."d"} → {@code A_B_C__D_}. */
    static String envForm(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    /** Whether this jar reads the variable: named by its configuration or its code, or the env form of a property. */
    boolean reads(String variable) {
        return variables.contains(variable) || propertyVariables.contains(variable);
    }

    /** The setting whose value is {@code ${VAR:default}} for {@code key} (e.g. quarkus.http.port), if it is one. */
    Optional<Setting> settingOf(String key) {
        String v = effective.getProperty(key);
        if (v == null) return Optional.empty();
        Matcher m = EXPRESSION.matcher(v.trim());
        if (!m.matches()) return Optional.empty();
        return Optional.of(new Setting(key, m.group(1), m.group(2)));
    }
}
