package org.clinlora.console.pages;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.store.BlobStore;

/**
 * Where an experiment's output is read from ({@code ./clinlora experiment}): a folder under the experiments root
 * ({@code ?dir=NAME}) or a bucket prefix it was copied to ({@code ?prefix=P/}). Only those two places, and only files
 * named as an experiment names them ({@code results.csv}, {@code *.svg}): the page cannot be pointed at other files.
 */
sealed interface ExperimentSource {
    Pattern DIR = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    Pattern PREFIX = Pattern.compile("([a-z0-9][a-z0-9._-]{0,99}/){1,8}");
    Pattern FIGURE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}\\.svg");

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
            try (var s = Files.list(folder)) {
                return s.map(p -> p.getFileName().toString())
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
