package org.clinlora.cli.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.testing.InMemoryBlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export and import against an in-memory store: what a backup holds, what a second export copies, and the inputs an
 * import refuses without writing anything. The round trip through S3Proxy and the services is RegistryRestoreIT.
 */
class RegistryBackupTest {
    @TempDir
    Path tmp;

    final InMemoryBlobStore source = new InMemoryBlobStore();

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A published version: its files, then the card listing them with their sha256 (written last, as the registry). */
    void publish(String name, int v, String weights) {
        publish(name, v, weights, null);
    }

    /** A version stacked on {@code parent} ({@code name@version}), or on the base model alone when null. */
    void publish(String name, int v, String weights, String parent) {
        String dir = StoreLayout.version(name, v);
        byte[] w = utf8(weights);
        source.put(dir + "adapter_model.safetensors", w, Map.of());
        source.put(dir + "adapter_config.json", utf8("{\"r\": 8}"), Map.of());
        source.put(dir + StoreLayout.CLAIM, utf8("{}"), Map.of());
        source.put(
                dir + StoreLayout.CARD,
                utf8("{\"name\": \"" + name + "\", \"version\": " + v
                        + (parent == null ? "" : ", \"parent\": \"" + parent + "\"")
                        + ", \"files\": {\"adapter_model.safetensors\":"
                        + " {\"sha256\": \"" + Sha256.of(w) + "\", \"size\": " + w.length + "}}}"),
                Map.of());
    }

    void seed() {
        byte[] config = utf8("{\"model_type\": \"llama\"}");
        source.put("models/base/config.json", config, Map.of());
        source.put(
                "models/base/manifest.json",
                utf8("{\"id\": \"base\", \"files\": {\"config.json\": {\"sha256\": \"" + Sha256.of(config)
                        + "\", \"size\": " + config.length + "}}}"),
                Map.of());
        source.put("models/other/.upload/declared.json", utf8("{}"), Map.of()); // a push in progress
        publish("mortality", 1, "weights one");
        publish("mortality", 2, "weights two");
        source.put(StoreLayout.aliasEntry("mortality", "production", 1), utf8("{\"version\": 2}"), Map.of());
        source.put(StoreLayout.children("mortality", 1) + "mortality@2", utf8("{}"), Map.of());
        source.put("datasets/d1/manifest.json", utf8("{}"), Map.of()); // not the registry's
    }

    Map<String, byte[]> registryOf(InMemoryBlobStore store) {
        Map<String, byte[]> out = new TreeMap<>();
        store.snapshot().forEach((k, v) -> {
            if (StoreLayout.inRegistryBackup(k)) out.put(k, v);
        });
        return out;
    }

    static void assertSameObjects(Map<String, byte[]> expected, Map<String, byte[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((k, v) -> assertTrue(Arrays.equals(v, actual.get(k)), k));
    }

    @Test
    void anExportHoldsTheRegistryAndASecondOneCopiesOnlyWhatIsNew() throws IOException {
        seed();
        Path out = tmp.resolve("backup");
        RegistryExport.Summary first = new RegistryExport(source, out).run("test");
        assertEquals(12, first.objects(), "a model (2), two versions (4 each), an alias move, a child marker");
        assertEquals(12, first.copied());
        ExportManifest m = ExportManifest.read(out).orElseThrow();
        assertTrue(m.objects().containsKey("models/base/manifest.json"));
        assertTrue(m.objects().keySet().stream().noneMatch(k -> k.contains(".upload/") || k.startsWith("datasets/")));

        assertEquals(0, new RegistryExport(source, out).run("test").copied(), "nothing new, nothing copied");

        publish("mortality", 3, "weights three");
        source.delete(StoreLayout.version("mortality", 1) + StoreLayout.CARD); // version 1 deleted meanwhile
        source.put(StoreLayout.version("mortality", 1) + StoreLayout.DELETED, utf8("{}"), Map.of());
        RegistryExport.Summary third = new RegistryExport(source, out).run("test");
        assertEquals(5, third.copied(), "version 3's four objects and version 1's tombstone");
        assertEquals(1, third.removed(), "version 1's card is gone from the export too");
        assertTrue(Files.notExists(ExportManifest.objectPath(out, StoreLayout.version("mortality", 1) + "card.json")));
    }

    /** The source, counting the reads of each object's bytes. */
    final class CountingStore implements BlobStore {
        final Map<String, Integer> reads = new ConcurrentHashMap<>();
        /** Folders written after the listing passed them. */
        Set<String> pagedPast = Set.of();

        @Override
        public Optional<byte[]> getBytes(String key) {
            reads.merge(key, 1, Integer::sum);
            return source.getBytes(key);
        }

        @Override
        public InputStream open(String key) {
            reads.merge(key, 1, Integer::sum);
            return source.open(key);
        }

        @Override
        public List<Listed> listSized(String prefix) {
            return source.listSized(prefix).stream()
                    .filter(l -> pagedPast.stream().noneMatch(l.key()::startsWith))
                    .toList();
        }

        @Override
        public Optional<Long> size(String key) {
            return source.size(key);
        }

        @Override
        public List<String> list(String prefix) {
            return source.list(prefix);
        }

        @Override
        public List<String> listPrefixes(String prefix) {
            return source.listPrefixes(prefix);
        }

        @Override
        public void put(String key, byte[] data, Map<String, String> userMetadata) {
            throw new UnsupportedOperationException("an export only reads");
        }

        @Override
        public void put(String key, Path file, Map<String, String> userMetadata) {
            throw new UnsupportedOperationException("an export only reads");
        }

        @Override
        public boolean putIfAbsent(String key, byte[] data) {
            throw new UnsupportedOperationException("an export only reads");
        }

        @Override
        public void delete(String key) {
            throw new UnsupportedOperationException("an export only reads");
        }

        @Override
        public String presignedGet(String key, int seconds) {
            throw new UnsupportedOperationException("an export only reads");
        }
    }

    @Test
    void anExportReadsEachObjectOnceAndAnUnchangedOneNotAgain() throws IOException {
        seed();
        Path out = tmp.resolve("backup");
        CountingStore counting = new CountingStore();
        new RegistryExport(counting, out).run("test");
        assertEquals(12, counting.reads.size());
        counting.reads.forEach((key, n) -> assertEquals(1, n, key + " read " + n + " times"));

        counting.reads.clear();
        new RegistryExport(counting, out).run("test");
        assertEquals(Map.of(), counting.reads, "nothing new, nothing read (a model's manifest included)");
    }

    @Test
    void whatAListedCardNeedsIsFetchedThoughTheListingPagedPastIt() throws IOException {
        seed();
        publish("sepsis", 1, "sepsis one");
        publish("sepsis", 2, "sepsis two", "sepsis@1");
        publish("sepsis", 3, "sepsis three", "sepsis@2");
        CountingStore counting = new CountingStore();
        String one = StoreLayout.version("sepsis", 1);
        String two = StoreLayout.version("sepsis", 2);
        counting.pagedPast = Set.of(one, two); // version 3's parent, and in turn that one's
        Path out = tmp.resolve("backup");
        new RegistryExport(counting, out).run("test");
        ExportManifest m = ExportManifest.read(out).orElseThrow();
        for (String dir : List.of(one, two)) {
            assertTrue(m.objects().containsKey(dir + StoreLayout.CARD), dir);
            assertTrue(m.objects().containsKey(dir + "adapter_model.safetensors"), "a file its card lists");
            assertTrue(!m.objects().containsKey(dir + "adapter_config.json"), "nothing its card does not list");
        }
        counting.reads.forEach((key, n) -> assertEquals(1, n, key + " read " + n + " times"));
    }

    @Test
    void anObjectRewrittenWithTheSameSizeIsExportedAgain() throws IOException {
        seed();
        Path out = tmp.resolve("backup");
        new RegistryExport(source, out).run("test");
        String claim = StoreLayout.version("mortality", 1) + StoreLayout.CLAIM;
        source.put(claim, utf8("[]"), Map.of()); // a number claimed again after a failed publish: same size
        assertEquals(1, new RegistryExport(source, out).run("test").copied());
        assertEquals("[]", Files.readString(ExportManifest.objectPath(out, claim)));
    }

    @Test
    void aChildMarkerWhoseChildHasNoCardYetIsLeftOut() throws IOException {
        seed();
        source.put(StoreLayout.children("mortality", 2) + "mortality@9", utf8("{}"), Map.of()); // publication in flight
        Path out = tmp.resolve("backup");
        new RegistryExport(source, out).run("test");
        ExportManifest m = ExportManifest.read(out).orElseThrow();
        assertTrue(m.objects().containsKey(StoreLayout.children("mortality", 1) + "mortality@2"));
        assertTrue(!m.objects().containsKey(StoreLayout.children("mortality", 2) + "mortality@9"));
    }

    @Test
    void anUnfinishedModelPushIsNotExported() throws IOException {
        seed();
        source.put("models/other/model.safetensors", utf8("half a push"), Map.of());
        Path out = tmp.resolve("backup");
        new RegistryExport(source, out).run("test");
        assertTrue(ExportManifest.read(out).orElseThrow().objects().keySet().stream()
                .noneMatch(k -> k.startsWith("models/other/")));
    }

    @Test
    void anImportRunAgainTreatsAnObjectWithOtherBytesAsForeign() throws IOException {
        seed();
        Path out = tmp.resolve("backup");
        new RegistryExport(source, out).run("test");
        InMemoryBlobStore target = new InMemoryBlobStore();
        target.put(StoreLayout.version("mortality", 1) + StoreLayout.CLAIM, utf8("[]"), Map.of()); // same size
        var e = assertThrows(IllegalArgumentException.class, () -> new RegistryImport(target, out).run("other"));
        assertTrue(e.getMessage().contains("mortality/1/.claim"), e.getMessage());
    }

    @Test
    void anImportRestoresEveryObjectAndCanBeRunAgain() throws IOException {
        seed();
        Path out = tmp.resolve("backup");
        new RegistryExport(source, out).run("test");
        InMemoryBlobStore target = new InMemoryBlobStore();
        RegistryImport.Summary s = new RegistryImport(target, out).run("fresh");
        assertEquals(s.objects(), s.written());
        assertSameObjects(registryOf(source), target.snapshot());

        RegistryImport.Summary again = new RegistryImport(target, out).run("fresh");
        assertEquals(0, again.written());
        assertEquals(s.objects(), again.skipped());
    }

    @Test
    void aDamagedExportIsRefusedBeforeAnythingIsWritten() throws IOException {
        seed();
        Path out = tmp.resolve("backup");
        new RegistryExport(source, out).run("test");
        Path weights =
                ExportManifest.objectPath(out, StoreLayout.version("mortality", 2) + "adapter_model.safetensors");
        Files.writeString(weights, "weights twO"); // same size, one byte flipped
        InMemoryBlobStore target = new InMemoryBlobStore();
        var e = assertThrows(IllegalArgumentException.class, () -> new RegistryImport(target, out).run("fresh"));
        assertTrue(e.getMessage().contains("mortality/2/adapter_model.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("nothing was imported"), e.getMessage());
        assertTrue(target.snapshot().isEmpty());
    }

    @Test
    void anImportNeverMixesWithARegistryTheBucketHolds() throws IOException {
        seed();
        Path out = tmp.resolve("backup");
        new RegistryExport(source, out).run("test");
        InMemoryBlobStore target = new InMemoryBlobStore();
        target.put(StoreLayout.version("sepsis", 1) + "card.json", utf8("{}"), Map.of());
        var e = assertThrows(IllegalArgumentException.class, () -> new RegistryImport(target, out).run("busy"));
        assertTrue(e.getMessage().contains("adapters/sepsis/1/card.json"), e.getMessage());
        assertEquals(1, target.snapshot().size());
    }

    @Test
    void aManifestNamingKeysOutsideTheRegistryIsRefused() throws IOException {
        for (String key : new String[] {
            "../../etc/passwd", "datasets/d1/manifest.json", "adapters/a/1/../../x", "adapters/./a/1/card.json"
        }) {
            Path out = Files.createDirectories(tmp.resolve("evil-" + Math.abs(key.hashCode())));
            Files.writeString(
                    out.resolve(ExportManifest.FILE),
                    "{\"format\": \"clinlora-registry-export\", \"formatVersion\": 1, \"objects\": {\"" + key
                            + "\": {\"sha256\": \"" + "0".repeat(64) + "\", \"size\": 1}}}");
            InMemoryBlobStore target = new InMemoryBlobStore();
            var e = assertThrows(IllegalArgumentException.class, () -> new RegistryImport(target, out).run("x"));
            assertTrue(e.getMessage().contains("not a key of the registry"), e.getMessage());
            assertTrue(target.snapshot().isEmpty());
        }
    }

    @Test
    void aStoreWhoseFilesDifferFromTheirCardIsNotBackedUp() throws IOException {
        seed();
        Path out = tmp.resolve("backup");
        new RegistryExport(source, out).run("test");
        byte[] before = Files.readAllBytes(out.resolve(ExportManifest.FILE));
        publish("mortality", 3, "weights three");
        source.put(StoreLayout.version("mortality", 3) + "adapter_model.safetensors", utf8("rotten bits"), Map.of());
        var e = assertThrows(IllegalStateException.class, () -> new RegistryExport(source, out).run("test"));
        assertTrue(e.getMessage().contains("mortality/3/adapter_model.safetensors"), e.getMessage());
        assertTrue(Arrays.equals(before, Files.readAllBytes(out.resolve(ExportManifest.FILE))), "previous kept");
    }

    @Test
    void anExportRefusesAFolderThatHoldsSomethingElse() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("home"));
        Files.writeString(out.resolve("thesis.tex"), "\\documentclass{article}");
        var e = assertThrows(IllegalArgumentException.class, () -> new RegistryExport(source, out).run("test"));
        assertTrue(e.getMessage().contains("empty folder"), e.getMessage());
    }
}
