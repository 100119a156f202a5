package org.clinlora.platform.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.clinlora.testing.InMemoryBlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model directory fetched into a cache that survived a container restart: files already in place are reused (nothing
 * is downloaded again) and partial downloads the earlier process left are deleted.
 */
class ModelStoreCacheTest {
    @TempDir
    Path tmp;

    @Test
    void aRestartReusesVerifiedFilesAndDeletesLeftoverParts() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("m"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
        Files.write(model.resolve("weights.bin"), "weights".repeat(1000).getBytes(StandardCharsets.UTF_8));
        InMemoryBlobStore blobs = new InMemoryBlobStore();
        ModelStore models = new ModelStore(blobs);
        models.upload("tiny", model);
        Path cache = tmp.resolve("cache");

        Path dir = models.fetchModelDir("tiny", cache);
        assertArrayEquals(
                Files.readAllBytes(model.resolve("weights.bin")), Files.readAllBytes(dir.resolve("weights.bin")));

        // The container restarts mid-fetch: no .complete marker yet, and a partial download from the dead process.
        Files.delete(dir.resolve(".complete"));
        Path part =
                Files.createDirectories(cache.resolve(".files").resolve("tiny")).resolve(".download123.part");
        Files.writeString(part, "half a shard");
        Files.setLastModifiedTime(part, FileTime.from(Instant.now().minusSeconds(3600 * 24 * 365)));
        // Every file's bytes leave the store (only the manifest stays): any download now fails.
        for (String key : blobs.snapshot().keySet()) {
            if (!key.endsWith(ModelStore.MANIFEST))
                blobs.put(key, "tampered".getBytes(StandardCharsets.UTF_8), Map.of());
        }

        assertEquals(dir, models.fetchModelDir("tiny", cache));
        assertTrue(Files.isRegularFile(dir.resolve(".complete")));
        assertArrayEquals(
                Files.readAllBytes(model.resolve("weights.bin")), Files.readAllBytes(dir.resolve("weights.bin")));
        assertFalse(Files.exists(part), "a leftover .part is deleted");
    }

    @Test
    void aPartThisProcessIsWritingIsLeftAlone() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("parts"));
        Path fresh = Files.writeString(dir.resolve(".download1.part"), "in flight");
        Path other = Files.writeString(dir.resolve("keep.bin"), "x");
        Files.setLastModifiedTime(other, FileTime.from(Instant.EPOCH));
        ModelStore.deleteStaleParts(dir);
        assertTrue(Files.exists(fresh));
        assertTrue(Files.exists(other));
    }
}
