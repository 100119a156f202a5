package org.clinlora.cli.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.clinlora.platform.store.StoreLayout;

/**
 * {@code registry-export.json}, the table of contents of a registry export folder: every object's key, sha256 and size.
 * It is written last (renamed into place), so a folder with it is a complete export and one without it is not; the
 * objects themselves lie under {@code objects/}, one file per key.
 */
record ExportManifest(String exportedAt, String source, SortedMap<String, Entry> objects) {
    static final String FILE = "registry-export.json";
    static final String OBJECTS = "objects";
    static final String FORMAT = "clinlora-registry-export";
    static final int FORMAT_VERSION = 1;

    /** An object's digest and size, and the store's entity tag when it was exported (to see it rewritten). */
    record Entry(String sha256, long size, String etag) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** The folder's manifest; empty when it has none. A manifest that is not one of ours is refused. */
    static Optional<ExportManifest> read(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) return Optional.empty();
        JsonNode root;
        try {
            root = JSON.readTree(f.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(f + " is not valid JSON: " + e.getMessage());
        }
        if (root == null || !FORMAT.equals(root.path("format").asText()))
            throw new IllegalArgumentException(f + " is not a registry export (format is not " + FORMAT + ")");
        if (root.path("formatVersion").asInt(-1) != FORMAT_VERSION)
            throw new IllegalArgumentException(f + ": formatVersion " + root.path("formatVersion") + " is not "
                    + FORMAT_VERSION + " (made by another clinlora version)");
        SortedMap<String, Entry> objects = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("objects").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            objects.put(requireKey(e.getKey()), entry(e.getKey(), e.getValue()));
        }
        return Optional.of(new ExportManifest(
                root.path("exportedAt").asText(), root.path("source").asText(), objects));
    }

    private static Entry entry(String key, JsonNode n) {
        String sha = n.path("sha256").asText();
        long size = n.path("size").asLong(-1);
        if (!SHA256.matcher(sha).matches() || size < 0)
            throw new IllegalArgumentException(FILE + ": " + key + " needs a sha256 (64 hex digits) and a size");
        return new Entry(sha, size, n.path("etag").asText(""));
    }

    /** A key of the registry and nothing else: the manifest decides where import writes, so it is checked. */
    static String requireKey(String key) {
        if (!StoreLayout.inRegistryBackup(key))
            throw new IllegalArgumentException(FILE + ": '" + key + "' is not a key of the registry");
        return key;
    }

    /** Where the object with this key lies in the folder (never outside {@code objects/}). */
    static Path objectPath(Path dir, String key) {
        Path root = dir.resolve(OBJECTS).toAbsolutePath().normalize();
        Path p = root.resolve(requireKey(key)).normalize();
        if (!p.startsWith(root)) throw new IllegalArgumentException(key + " would lie outside " + root);
        return p;
    }

    /** Writes the manifest next to its objects, atomically: a reader sees the old one or this one. */
    void write(Path dir) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT).put("formatVersion", FORMAT_VERSION);
        root.put("exportedAt", exportedAt).put("source", source);
        ObjectNode files = root.putObject("objects");
        objects.forEach((k, e) -> files.putObject(k)
                .put("sha256", e.sha256())
                .put("size", e.size())
                .put("etag", e.etag()));
        Path tmp = Files.createTempFile(dir, ".registry-export", ".tmp");
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    long bytes() {
        return objects.values().stream().mapToLong(Entry::size).sum();
    }
}
