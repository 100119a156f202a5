package org.clinlora.cli.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.clinlora.cli.registry.ExportManifest.Entry;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.StoreLayout;

/**
 * Copies the registry out of a bucket into a folder ({@code ./clinlora registry export}): base models, adapter versions
 * with their cards, alias histories and the markers between them, each with its sha256. Incremental: an object a
 * previous export holds with the same size and entity tag is kept, and only what is new or rewritten is downloaded.
 * While the services keep running, the export stays whole: what a listed card needs (its files, its parent's card) is
 * fetched if the listing paged past it, objects deleted meanwhile are dropped, and every file a card or a model
 * manifest lists must be there with the sha256 it records, or the export fails and writes no manifest.
 */
final class RegistryExport {
    record Summary(int objects, int copied, long bytesCopied, int removed, long bytes) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A card's parent as the registry records it: {@code name@version}. */
    private static final Pattern PARENT = Pattern.compile("([a-z0-9][a-z0-9._-]*)@(\\d+)");

    private final BlobStore store;
    private final Path dir;

    RegistryExport(BlobStore store, Path dir) {
        this.store = store;
        this.dir = dir;
    }

    Summary run(String source) throws IOException {
        Files.createDirectories(dir);
        ExportManifest previous = ExportManifest.read(dir).orElse(null);
        if (previous == null) requireEmptyOrInterrupted();
        Map<String, BlobStore.Listed> listed = listing();
        SortedMap<String, Entry> all = new TreeMap<>();
        List<String> fetch = new ArrayList<>();
        for (BlobStore.Listed l : listed.values()) {
            Entry old = previous == null ? null : previous.objects().get(l.key());
            if (unchanged(old, l)) all.put(l.key(), old);
            else fetch.add(l.key());
        }
        Map<String, Entry> copied = new ConcurrentHashMap<>();
        Transfers.each(
                fetch, key -> downloadIfPresent(key, listed.get(key).etag()).ifPresent(e -> copied.put(key, e)));
        all.putAll(copied);
        Map<String, Entry> late = fetchLate(all);
        all.putAll(late);
        copied.putAll(late);
        dropDanglingChildMarkers(all);
        checkAgainstDeclarations(all);
        ExportManifest next = new ExportManifest(Instant.now().toString(), source, new TreeMap<>(all));
        next.write(dir);
        int removed = 0;
        if (previous != null) {
            for (String key : previous.objects().keySet()) {
                if (!all.containsKey(key) && Files.deleteIfExists(ExportManifest.objectPath(dir, key))) removed++;
            }
        }
        long bytesCopied = copied.values().stream().mapToLong(Entry::size).sum();
        return new Summary(all.size(), copied.size(), bytesCopied, removed, next.bytes());
    }

    /** The same object as last time: size and entity tag equal, and its file still here at that size. */
    private boolean unchanged(Entry old, BlobStore.Listed now) throws IOException {
        if (old == null
                || old.size() != now.size()
                || old.etag().isEmpty()
                || !old.etag().equals(now.etag())) {
            return false;
        }
        Path local = ExportManifest.objectPath(dir, now.key());
        return Files.isRegularFile(local) && Files.size(local) == old.size();
    }

    /**
     * A folder without a manifest must be empty, or hold only the objects of an export that was interrupted before its
     * manifest was written: an export never mixes its files with someone else's.
     */
    private void requireEmptyOrInterrupted() throws IOException {
        try (var s = Files.list(dir)) {
            if (s.anyMatch(p -> !p.getFileName().toString().equals(ExportManifest.OBJECTS)))
                throw new IllegalArgumentException(dir + " holds files but no " + ExportManifest.FILE
                        + ": export into an empty folder or into a previous export");
        }
    }

    /**
     * Registry keys, referring objects before the objects they refer to (StoreLayout); of the base models only those
     * whose push completed (a manifest), and only the files the manifest lists.
     */
    private Map<String, BlobStore.Listed> listing() {
        Map<String, BlobStore.Listed> out = new LinkedHashMap<>();
        for (String prefix : StoreLayout.registryPrefixes()) {
            for (BlobStore.Listed l : store.listSized(prefix)) {
                if (StoreLayout.inRegistryBackup(l.key())) out.put(l.key(), l);
            }
        }
        Map<String, Map<String, String>> manifests = new TreeMap<>();
        for (String key : out.keySet()) {
            if (declares(key) && key.startsWith(StoreLayout.models()))
                store.getBytes(key).ifPresent(b -> manifests.put(folderOf(key), declaredFiles(b)));
        }
        out.keySet()
                .removeIf(key -> key.startsWith(StoreLayout.models())
                        && !(manifests.containsKey(folderOf(key))
                                && (declares(key)
                                        || manifests.get(folderOf(key)).containsKey(nameOf(key)))));
        return out;
    }

    /** The object, or nothing when it was deleted after the listing (a version withdrawn, a failed publish). */
    private Optional<Entry> downloadIfPresent(String key, String etag) throws IOException {
        try {
            return Optional.of(download(key, etag));
        } catch (RuntimeException | IOException e) {
            if (store.size(key).isEmpty()) return Optional.empty();
            throw e;
        }
    }

    private Entry download(String key, String etag) throws IOException {
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
            return new Entry(sha, size, etag == null ? "" : etag);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * What an exported card needs but the listing paged past, because it was written meanwhile: the card's files and
     * its parent's card (and, in turn, what that one needs). Read from the exported cards, so an export with nothing
     * new asks the store nothing more.
     */
    private Map<String, Entry> fetchLate(Map<String, Entry> all) throws IOException {
        Map<String, Entry> late = new TreeMap<>();
        List<String> todo = new ArrayList<>(all.keySet());
        while (!todo.isEmpty()) {
            String declaring = todo.remove(todo.size() - 1);
            if (!declares(declaring)) continue;
            byte[] json = Files.readAllBytes(ExportManifest.objectPath(dir, declaring));
            List<String> needed = new ArrayList<>();
            for (String file : declaredFiles(json).keySet()) needed.add(folderOf(declaring) + file);
            parentCard(json).ifPresent(needed::add);
            for (String key : needed) {
                if (all.containsKey(key) || late.containsKey(key)) continue;
                if (store.size(key).isEmpty())
                    throw new IllegalStateException(declaring + " needs " + key + " but the store has none");
                late.put(key, download(key, ""));
                todo.add(key);
            }
        }
        return late;
    }

    private static Optional<String> parentCard(byte[] cardJson) throws IOException {
        Matcher m = PARENT.matcher(JSON.readTree(cardJson).path("parent").asText(""));
        if (!m.matches()) return Optional.empty();
        return Optional.of(StoreLayout.version(m.group(1), Integer.parseInt(m.group(2))) + StoreLayout.CARD);
    }

    /**
     * A child marker is written before the child's card: one whose child has no card in the export belongs to a
     * publication still in flight (or failed), and would keep the parent from being deleted after a restore.
     */
    private static void dropDanglingChildMarkers(Map<String, Entry> all) {
        all.keySet().removeIf(key -> {
            if (!key.startsWith(StoreLayout.childMarkers())) return false;
            Matcher m = PARENT.matcher(nameOf(key));
            return !m.matches()
                    || !all.containsKey(
                            StoreLayout.version(m.group(1), Integer.parseInt(m.group(2))) + StoreLayout.CARD);
        });
    }

    /** Each card's and each model manifest's files against what was exported: a damaged store is not backed up. */
    private void checkAgainstDeclarations(Map<String, Entry> all) throws IOException {
        for (String declaring : all.keySet()) {
            if (!declares(declaring)) continue;
            Map<String, String> files = declaredFiles(Files.readAllBytes(ExportManifest.objectPath(dir, declaring)));
            for (var f : files.entrySet()) {
                Entry got = all.get(folderOf(declaring) + f.getKey());
                if (got == null || !got.sha256().equals(f.getValue()))
                    throw new IllegalStateException("the store's " + folderOf(declaring) + f.getKey()
                            + " does not match the sha256 " + declaring + " records: the store is damaged;"
                            + " no manifest was written, the previous export (if any) stays the valid one");
            }
        }
    }

    private static String folderOf(String key) {
        return key.substring(0, key.lastIndexOf('/') + 1);
    }

    private static String nameOf(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
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
        try {
            AdapterCard.filesOf(JSON.readTree(json)).forEach((file, e) -> out.put(file, e.sha256()));
        } catch (IOException e) {
            throw new IllegalStateException("a card or model manifest in the store is not valid JSON");
        }
        return out;
    }
}
