package org.clinlora.platform.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Kafka topics of a run's own for the services it starts: every topic a service's {@code application.properties} names
 * (inputs, outputs and dead-letter topics) with a suffix appended. A test run or a bench starting services beside the
 * user's own on the same broker gives them their own topics — a consumer group of its own is not enough, since the
 * user's services read the same topics in theirs and would score, train or announce the run's records (and the run
 * would count their answers).
 */
public final class OwnTopics {
    private static final Pattern TOPIC_KEY =
            Pattern.compile("mp\\.messaging\\.(incoming|outgoing)\\.[^.]+\\.(dead-letter-queue\\.)?topic");

    private OwnTopics() {}

    /** Config overrides: each topic property of {@code app}, its topic with {@code suffix} appended. */
    public static Map<String, String> config(Properties app, String suffix) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String key : app.stringPropertyNames().stream().sorted().toList()) {
            if (TOPIC_KEY.matcher(key).matches())
                out.put(key, app.getProperty(key).trim() + suffix);
        }
        return out;
    }

    /** The same as environment variables, the form SmallRye Config maps back onto the properties. */
    public static Map<String, String> env(Properties app, String suffix) {
        Map<String, String> out = new LinkedHashMap<>();
        config(app, suffix).forEach((key, topic) -> out.put(variable(key), topic));
        return out;
    }

    /** The environment variable SmallRye Config reads for {@code property}. */
    public static String variable(String property) {
        return property.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /**
     * The {@code application.properties} inside a built service ({@code <svc>-svc/target/quarkus-app}); empty when it
     * is not built.
     */
    public static Properties ofQuarkusApp(Path quarkusApp) {
        Properties p = new Properties();
        Path app = quarkusApp.resolve("app");
        if (!Files.isDirectory(app)) return p;
        try (Stream<Path> jars = Files.list(app)) {
            for (Path jar : jars.filter(j -> j.toString().endsWith(".jar")).toList()) {
                try (ZipFile zip = new ZipFile(jar.toFile())) {
                    ZipEntry e = zip.getEntry("application.properties");
                    if (e == null) continue;
                    try (InputStream in = zip.getInputStream(e)) {
                        p.load(in);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
