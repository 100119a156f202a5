package org.clinlora.platform.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.io.Sha256;

/**
 * Base models in the object store: {@code models/{id}/} holds a Hugging Face model directory's files and a
 * {@code manifest.json} with the sha256 and size of each, written last. The sha256 of the manifest identifies the exact
 * model (adapter cards record it).
 */
public final class ModelStore {
    public static final String MANIFEST = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BlobStore store;

    public ModelStore(BlobStore store) {
        this.store = store;
    }

    /** Uploads the regular files of a model directory; returns the manifest's sha256. */
    public String upload(String id, Path dir) throws IOException {
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("id", StoreLayout.requireName(id));
        ObjectNode files = manifest.putObject("files");
        List<Path> paths;
        try (var s = Files.list(dir)) {
            paths = s.filter(Files::isRegularFile).sorted().toList();
        }
        if (paths.stream().noneMatch(p -> p.getFileName().toString().equals("config.json"))) {
            throw new IllegalArgumentException(dir + ": not a model directory (no config.json)");
        }
        for (Path p : paths) {
            String name = p.getFileName().toString();
            String sha = Sha256.of(p);
            store.put(StoreLayout.model(id) + name, p, Map.of("sha256", sha));
            files.putObject(name).put("sha256", sha).put("size", Files.size(p));
        }
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
        store.put(StoreLayout.model(id) + MANIFEST, bytes, Map.of());
        return Sha256.of(bytes);
    }

    /**
     * One file of a stored model, downloaded into {@code cacheDir} and checked against the sha256 its manifest records;
     * a cached copy with the right digest is reused. Bytes that do not match are deleted and refused.
     */
    public Path fetchVerified(String id, String file, Path cacheDir) throws IOException {
        byte[] manifest = store.getBytes(StoreLayout.model(id) + MANIFEST)
                .orElseThrow(() -> new IllegalArgumentException(
                        "unknown model '" + id + "' (no complete models/" + id + "/ in the store)"));
        JsonNode entry = JSON.readTree(manifest).path("files").path(file);
        if (entry.isMissingNode()) throw new IllegalArgumentException("model '" + id + "' has no " + file);
        String sha = entry.path("sha256").asText();
        Path dir = Files.createDirectories(cacheDir.resolve(StoreLayout.requireName(id)));
        deleteStaleParts(dir);
        Path cached = dir.resolve(sha + "-" + file);
        if (Files.isRegularFile(cached) && Sha256.of(cached).equals(sha)) return cached;
        Path tmp = Files.createTempFile(dir, ".download", ".part");
        try {
            String got;
            try (var in = store.open(StoreLayout.model(id) + file);
                    var out = Files.newOutputStream(tmp)) {
                got = Sha256.copy(in, out);
            }
            if (!got.equals(sha))
                throw new IllegalStateException(
                        "models/" + id + "/" + file + " does not match its manifest's sha256; refusing it");
            Files.move(tmp, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return cached;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * The whole model as a Hugging Face directory under {@code cacheDir/{id}/{manifest sha256}/}, every file verified
     * against the manifest; reused when already complete (a {@code .complete} marker is written last). After a restart
     * that kept the cache (a pod's emptyDir survives a container restart) files already moved into the directory whose
     * sha256 matches the manifest are kept rather than downloaded again, and partial downloads an earlier process left
     * behind are deleted.
     */
    public Path fetchModelDir(String id, Path cacheDir) throws IOException {
        byte[] manifest = store.getBytes(StoreLayout.model(id) + MANIFEST)
                .orElseThrow(() -> new IllegalArgumentException(
                        "unknown model '" + id + "' (no complete models/" + id + "/ in the store)"));
        Path files = cacheDir.resolve(".files");
        deleteStaleParts(files.resolve(StoreLayout.requireName(id)));
        Path dir = cacheDir.resolve(StoreLayout.requireName(id)).resolve(Sha256.of(manifest));
        if (Files.isRegularFile(dir.resolve(".complete"))) return dir;
        Files.createDirectories(dir);
        var entries = JSON.readTree(manifest).path("files").fields();
        while (entries.hasNext()) {
            var entry = entries.next();
            String file = entry.getKey();
            if (file.contains("/") || file.startsWith("."))
                throw new IllegalArgumentException("model manifest names an unsafe file: " + file);
            Path target = dir.resolve(file);
            String sha = entry.getValue().path("sha256").asText();
            if (Files.isRegularFile(target) && Sha256.of(target).equals(sha)) continue;
            Path verified = fetchVerified(id, file, files);
            // Moved, not copied: the cache volume then holds the checkpoint once (a copy needs its largest shard
            // twice).
            Files.move(verified, target, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.write(dir.resolve(".complete"), new byte[0]);
        return dir;
    }

    /**
     * Deletes the {@code .download*.part} files in {@code dir} that an earlier process left (last modified before this
     * JVM started): a crash mid-download leaves one behind, and on a kept cache volume they would add up. Parts this
     * process is still writing are newer and left alone.
     */
    static void deleteStaleParts(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        FileTime started =
                FileTime.fromMillis(ManagementFactory.getRuntimeMXBean().getStartTime());
        try (var s = Files.newDirectoryStream(dir, ".download*.part")) {
            for (Path p : s) {
                if (Files.getLastModifiedTime(p).compareTo(started) < 0) Files.deleteIfExists(p);
            }
        }
    }

    /** The sha256 the model's manifest records for one file, if any. */
    public Optional<String> fileSha256(String id, String file) {
        return store.getBytes(StoreLayout.model(id) + MANIFEST).map(b -> {
            try {
                JsonNode n = JSON.readTree(b).path("files").path(file).path("sha256");
                return n.isMissingNode() ? null : n.asText();
            } catch (IOException e) {
                throw new IllegalArgumentException("models/" + id + "/manifest.json is not valid JSON");
            }
        });
    }

    /** The sha256 of the model's manifest, or empty when no complete model has that id. */
    public Optional<String> manifestSha256(String id) {
        return store.getBytes(StoreLayout.model(id) + MANIFEST).map(Sha256::of);
    }

    /** The model's config.json, whichever architecture it names (LLaMA or BERT). */
    public Optional<BaseModelConfig> config(String id) {
        if (manifestSha256(id).isEmpty()) return Optional.empty();
        return store.getBytes(StoreLayout.model(id) + "config.json").map(b -> {
            try {
                JsonNode n = JSON.readTree(b);
                return BaseModelConfig.fromJson(n);
            } catch (IOException e) {
                throw new IllegalArgumentException("models/" + id + "/config.json is not valid JSON");
            }
        });
    }
}
