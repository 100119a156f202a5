package org.clinlora.console.pages;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ExperimentManifest;
import org.clinlora.platform.store.StoreLayout;

/**
 * Where an experiment's output is read from ({@code ./clinlora experiment}): an experiment published to the bucket
 * ({@code /experiments/NAME}, {@link Published}), a folder under the experiments root ({@code ?dir=NAME}) or a bucket
 * prefix it was copied to ({@code ?prefix=P/}). Only those places, and only files named as an experiment names them
 * ({@code results.csv}, {@code *.svg}, {@code figures/*.svg}): the page cannot be pointed at other files.
 */
sealed interface ExperimentSource {
    Pattern DIR = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    Pattern PREFIX = Pattern.compile("([a-z0-9][a-z0-9._-]{0,99}/){1,8}");
    /** A figure beside results.csv or, as the experiment writes them, in its figures/ folder. */
    Pattern FIGURE = Pattern.compile("(figures/)?[A-Za-z0-9][A-Za-z0-9._-]{0,99}\\.svg");

    Optional<String> read(String file) throws IOException;

    /** The experiment's SVG figures, by file name. */
    List<String> figures() throws IOException;

    /** For messages and the page's heading. */
    String describe();

    /** The source a request names: exactly one of {@code dir} and {@code prefix}, each checked. */
    static ExperimentSource of(String dir, String prefix, Path root, BlobStore store) {
        if ((dir == null) == (prefix == null))
            throw new InvalidRequest(
                    "give dir (a folder under the experiments root) or prefix (in the bucket), not both");
        if (dir != null) {
            if (!DIR.matcher(dir).matches())
                throw new InvalidRequest("dir is one folder name under the experiments root");
            return new Folder(dir, root.resolve(dir));
        }
        if (!PREFIX.matcher(prefix).matches())
            throw new InvalidRequest(
                    "prefix is a bucket folder such as experiments/synthetic/ (lower case, ending in /)");
        return new Bucket(prefix, store);
    }

    /** The experiment folders under {@code root} the page offers: those with a results.csv. */
    static List<String> folders(Path root) throws IOException {
        if (!Files.isDirectory(root)) return List.of();
        try (var s = Files.list(root)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("results.csv")))
                    .map(p -> p.getFileName().toString())
                    .filter(n -> DIR.matcher(n).matches())
                    .sorted()
                    .toList();
        }
    }

    /** A folder under the experiments root. */
    record Folder(String dir, Path folder) implements ExperimentSource {
        @Override
        public Optional<String> read(String file) throws IOException {
            Path f = folder.resolve(file);
            return Files.isRegularFile(f) ? Optional.of(Files.readString(f, StandardCharsets.UTF_8)) : Optional.empty();
        }

        @Override
        public List<String> figures() throws IOException {
            if (!Files.isDirectory(folder)) return List.of();
            try (var s = Files.walk(folder, 2)) {
                return s.filter(Files::isRegularFile)
                        .map(p -> folder.relativize(p).toString().replace('\\', '/'))
                        .filter(n -> FIGURE.matcher(n).matches())
                        .sorted()
                        .toList();
            }
        }

        @Override
        public String describe() {
            return "folder '" + dir + "'";
        }
    }

    /**
     * An experiment published by {@code ./clinlora experiment --publish}: only the files its manifest names, each
     * checked against the manifest's sha256 as it is read (a file changed or half-replaced since is refused).
     */
    record Published(ExperimentManifest manifest, BlobStore store) implements ExperimentSource {
        /** The published experiment {@code name}; 404 when there is none (or its upload never finished). */
        static Published of(String name, BlobStore store) {
            if (name == null || !StoreLayout.NAME.matcher(name).matches() || name.contains(".."))
                throw new InvalidRequest("an experiment's name is lower case: [a-z0-9][a-z0-9._-]{0,99}");
            return new Published(
                    ExperimentManifest.read(store, name)
                            .orElseThrow(() -> new NotFound("no experiment '" + name + "' is published")),
                    store);
        }

        @Override
        public Optional<String> read(String file) {
            Optional<ExperimentManifest.Entry> entry = manifest.file(file);
            if (entry.isEmpty()) return Optional.empty();
            String key = StoreLayout.experiment(manifest.name()) + file;
            byte[] bytes = store.getBytes(key).orElseThrow(() -> changed(file));
            if (!Sha256.of(bytes).equals(entry.get().sha256())) throw changed(file);
            return Optional.of(new String(bytes, StandardCharsets.UTF_8));
        }

        private Unprocessable changed(String file) {
            return new Unprocessable(
                    "experiment_changed",
                    file + " of experiment '" + manifest.name()
                            + "' is not the file it was published with (publish it again)");
        }

        @Override
        public List<String> figures() {
            return manifest.files().stream()
                    .map(ExperimentManifest.Entry::path)
                    .filter(n -> n.startsWith("figures/") && FIGURE.matcher(n).matches())
                    .sorted()
                    .toList();
        }

        @Override
        public String describe() {
            return "experiment '" + manifest.name() + "'";
        }
    }

    /** The experiments published to the bucket, newest first; one whose manifest cannot be read is left out. */
    static List<ExperimentManifest> published(BlobStore store) {
        List<ExperimentManifest> out = new ArrayList<>();
        for (String p : store.listPrefixes(StoreLayout.experiments())) {
            String name = p.substring(StoreLayout.experiments().length(), p.length() - 1);
            if (!StoreLayout.NAME.matcher(name).matches() || name.contains("..")) continue;
            try {
                ExperimentManifest.read(store, name).ifPresent(out::add);
            } catch (UncheckedIOException e) {
                // not a manifest this console reads: the experiment is not listed, the page stays up
            }
        }
        out.sort(Comparator.comparing(ExperimentManifest::published).reversed());
        return out;
    }

    /** A bucket prefix an experiment's output folder was copied to. */
    record Bucket(String prefix, BlobStore store) implements ExperimentSource {
        @Override
        public Optional<String> read(String file) {
            return store.getBytes(prefix + file).map(b -> new String(b, StandardCharsets.UTF_8));
        }

        @Override
        public List<String> figures() {
            return store.list(prefix).stream()
                    .map(k -> k.substring(prefix.length()))
                    .filter(n -> FIGURE.matcher(n).matches())
                    .sorted()
                    .toList();
        }

        @Override
        public String describe() {
            return "bucket prefix '" + prefix + "'";
        }
    }
}
