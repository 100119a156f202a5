package org.clinlora.cli.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.clinlora.cli.registry.ExportManifest.Entry;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.StoreLayout;

/**
 * Copies the registry out of a bucket into a folder ({@code ./clinlora registry export}): base models, adapter versions
 * with their cards, alias histories and the markers between them, each with its sha256. Incremental: registry objects
 * are written once and never rewritten, so an object a previous export holds with the same size is kept, and only what
 * is new is downloaded. Every file a card or a model manifest lists must be there with the sha256 it records, or the
 * export fails and the previous manifest stays the folder's valid one.
 */
final class RegistryExport {
    record Summary(int objects, int copied, long bytesCopied, int removed, long bytes) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final BlobStore store;
    private final Path dir;

    RegistryExport(BlobStore store, Path dir) {
        this.store = store;
        this.dir = dir;
    }

    Summary run(String source) throws IOException {
        Files.createDirectories(dir);
        ExportManifest previous = ExportManifest.read(dir).orElse(null);
        if (previous == null) requireEmpty();
        Map<String, Long> listed = listing();
        Map<String, Entry> kept = new TreeMap<>();
        List<String> fetch = new ArrayList<>();
        for (var e : listed.entrySet()) {
            Entry old = previous == null ? null : previous.objects().get(e.getKey());
            Path local = ExportManifest.objectPath(dir, e.getKey());
            if (old != null
                    && old.size() == e.getValue()
                    && Files.isRegularFile(local)
                    && Files.size(local) == old.size()) kept.put(e.getKey(), old);
            else fetch.add(e.getKey());
        }
        Map<String, Entry> copied = new ConcurrentHashMap<>();
        AtomicLong bytes = new AtomicLong();
        Transfers.each(fetch, key -> {
            Entry got = download(key);
            copied.put(key, got);
            bytes.addAndGet(got.size());
        });
        SortedMap<String, Entry> all = new TreeMap<>(kept);
        all.putAll(copied);
        for (var late : fetchLateFiles(all).entrySet()) {
            all.put(late.getKey(), late.getValue());
            copied.put(late.getKey(), late.getValue());
            bytes.addAndGet(late.getValue().size());
        }
        checkAgainstDeclarations(all);
        ExportManifest next = new ExportManifest(Instant.now().toString(), source, all);
        next.write(dir);
        int removed = 0;
        if (previous != null) {
            for (String key : previous.objects().keySet()) {
                if (!all.containsKey(key) && Files.deleteIfExists(ExportManifest.objectPath(dir, key))) removed++;
            }
        }
        return new Summary(all.size(), copied.size(), bytes.get(), removed, next.bytes());
    }

    /** A folder without a manifest must be empty: an export never mixes its files with someone else's. */
    private void requireEmpty() throws IOException {
        try (var s = Files.list(dir)) {
            if (s.findAny().isPresent())
                throw new IllegalArgumentException(dir + " holds files but no " + ExportManifest.FILE
                        + ": export into an empty folder or into a previous export");
        }
    }

    /** Registry keys with their sizes, referring objects before the objects they refer to (StoreLayout). */
    private Map<String, Long> listing() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String prefix : StoreLayout.registryPrefixes()) {
            for (BlobStore.Listed l : store.listSized(prefix)) {
                if (StoreLayout.inRegistryBackup(l.key())) out.put(l.key(), l.size());
            }
        }
        return out;
    }

    /**
     * A file of a version published while the listing paged past it: its card (listed later) names it, so it is fetched
     * now. Read from the exported cards, so an export with nothing new asks the store nothing more.
     */
    private Map<String, Entry> fetchLateFiles(Map<String, Entry> all) throws IOException {
        Map<String, Entry> late = new TreeMap<>();
        for (String declaring : all.keySet()) {
            if (!declares(declaring)) continue;
            String folder = declaring.substring(0, declaring.lastIndexOf('/') + 1);
            byte[] json = Files.readAllBytes(ExportManifest.objectPath(dir, declaring));
            for (String file : declaredFiles(json).keySet()) {
                String key = folder + file;
                if (all.containsKey(key) || late.containsKey(key)) continue;
                if (store.size(key).isEmpty())
                    throw new IllegalStateException(declaring + " lists " + file + " but the store has no " + key);
                late.put(key, download(key));
            }
        }
        return late;
    }

    private Entry download(String key) throws IOException {
        Path target = ExportManifest.objectPath(dir, key);
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".part-", ".tmp");
        try {
            String sha;
            try (InputStream in = store.open(key);
                    OutputStream out = Files.newOutputStream(tmp)) {
                sha = Sha256.copy(in, out);
            }
            long size = Files.size(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new Entry(sha, size);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Each card's and each model manifest's files against what was exported: a damaged store is not backed up. */
    private void checkAgainstDeclarations(Map<String, Entry> all) throws IOException {
        for (String declaring : all.keySet()) {
            if (!declares(declaring)) continue;
            String folder = declaring.substring(0, declaring.lastIndexOf('/') + 1);
            Map<String, String> files = declaredFiles(Files.readAllBytes(ExportManifest.objectPath(dir, declaring)));
            for (var f : files.entrySet()) {
                Entry got = all.get(folder + f.getKey());
                if (got == null || !got.sha256().equals(f.getValue()))
                    throw new IllegalStateException("the store's " + folder + f.getKey()
                            + " does not match the sha256 " + declaring + " records: the store is damaged;"
                            + " the previous export (if any) stays the valid one");
            }
        }
    }

    /** A version's card or a base model's manifest: the two objects that list files with their sha256. */
    static boolean declares(String key) {
        String[] parts = key.split("/");
        return parts.length == 4 && key.startsWith(StoreLayout.adapters()) && parts[3].equals(StoreLayout.CARD)
                || parts.length == 3 && key.startsWith(StoreLayout.models()) && parts[2].equals(ModelStore.MANIFEST);
    }

    /** File name to sha256, from the {@code files} object cards and model manifests share. */
    static Map<String, String> declaredFiles(byte[] json) {
        Map<String, String> out = new TreeMap<>();
        if (json.length == 0) return out;
        try {
            JsonNode files = JSON.readTree(json).path("files");
            for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.put(e.getKey(), e.getValue().path("sha256").asText());
            }
        } catch (IOException e) {
            throw new IllegalStateException("a card or model manifest in the store is not valid JSON");
        }
        return out;
    }
}
