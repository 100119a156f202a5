package org.clinlora.cli.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ExperimentManifest;
import org.clinlora.platform.store.StoreLayout;

/**
 * Puts an experiment's output folder where the console finds it, in Kubernetes as locally: results.md, results.csv,
 * config.json and figures/*.svg under {@link StoreLayout#experiment} in the bucket, then the {@link ExperimentManifest}
 * (every file's size and sha256) last, so an upload that stops half-way is never listed. Another config already
 * published under the same name is refused unless replacing is asked for; the same config is published again over
 * itself (an experiment that ran further). Nothing else of the folder (datasets, adapters, per-run predictions) goes.
 */
public final class ExperimentPublisher {
    /** The files the console shows, in the folder's layout. */
    static final List<String> FILES = List.of("results.md", "results.csv", "config.json");

    static final Pattern FIGURE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}\\.svg");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BlobStore store;

    public ExperimentPublisher(BlobStore store) {
        this.store = store;
    }

    /** Publishes {@code out} as experiment {@code name}; the manifest written. */
    public ExperimentManifest publish(String name, Path out, boolean replace) throws IOException {
        checkName(name);
        List<String> paths = files(out);
        String named =
                JSON.readTree(out.resolve("config.json").toFile()).path("name").asText(name);
        if (!named.equals(name))
            throw new IllegalArgumentException(
                    out + " holds experiment '" + named + "', not '" + name + "'; give its own --out or --config");
        String prefix = StoreLayout.experiment(name);
        String configSha = Sha256.of(out.resolve("config.json"));
        Optional<String> published = store.getBytes(prefix + "config.json").map(Sha256::of);
        if (published.isPresent() && !published.get().equals(configSha) && !replace)
            throw new IllegalArgumentException("the bucket holds another experiment named '" + name
                    + "' (another config.json); give --replace to overwrite it, or another name");
        // Unlisted first: a reader never sees the old manifest over new files.
        store.delete(prefix + StoreLayout.EXPERIMENT_MANIFEST);
        List<ExperimentManifest.Entry> entries = new ArrayList<>();
        for (String p : paths) {
            Path f = out.resolve(p);
            store.put(prefix + p, f, Map.of());
            entries.add(new ExperimentManifest.Entry(p, Files.size(f), Sha256.of(f)));
        }
        Set<String> kept = new HashSet<>(paths);
        for (String key : store.list(prefix)) if (!kept.contains(key.substring(prefix.length()))) store.delete(key);
        ExperimentManifest m = new ExperimentManifest(
                name,
                protocol(out.resolve("config.json")),
                rows(out.resolve("results.csv")),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                configSha,
                entries);
        store.put(prefix + StoreLayout.EXPERIMENT_MANIFEST, m.toJson(), Map.of());
        return m;
    }

    /** {@code name} when an experiment can be published under it (checked before a run, not after hours of it). */
    public static String checkName(String name) {
        if (name == null || !StoreLayout.NAME.matcher(name).matches() || name.contains(".."))
            throw new IllegalArgumentException("an experiment is published under a lower-case name"
                    + " ([a-z0-9][a-z0-9._-]{0,99}): set \"name\" in its config, got '" + name + "'");
        return name;
    }

    /** The folder's files to publish, relative to it; results.csv and config.json must be there. */
    static List<String> files(Path out) throws IOException {
        for (String required : List.of("results.csv", "config.json"))
            if (!Files.isRegularFile(out.resolve(required)))
                throw new IllegalArgumentException(
                        out + " holds no " + required + ": not an experiment's output folder");
        List<String> paths = new ArrayList<>();
        for (String f : FILES) if (Files.isRegularFile(out.resolve(f))) paths.add(f);
        Path figures = out.resolve("figures");
        if (Files.isDirectory(figures)) {
            try (var s = Files.list(figures)) {
                s.map(p -> p.getFileName().toString())
                        .filter(n -> FIGURE.matcher(n).matches())
                        .sorted()
                        .forEach(n -> paths.add("figures/" + n));
            }
        }
        return paths;
    }

    private static String protocol(Path config) throws IOException {
        JsonNode p = JSON.readTree(config.toFile()).path("protocol");
        return p.isTextual() ? p.asText() : "";
    }

    private static int rows(Path csv) throws IOException {
        int n = 0;
        try (CsvReader r = CsvReader.of(csv.toString(), Files.newInputStream(csv), CsvReader.OnMalformed.FAIL)) {
            while (r.hasNext()) {
                r.next();
                n++;
            }
        } catch (CsvReader.CsvException e) {
            throw new IllegalArgumentException(csv + " is not a valid CSV: " + e.getMessage(), e);
        }
        return n;
    }
}
