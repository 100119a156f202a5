package org.clinlora.cli.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
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

    /** What a card or a model manifest declares: its files, and a card's parent's card (for one stacked on another). */
    private record Declared(Map<String, AdapterCard.FileEntry> files, Optional<String> parentCard) {}

    private final BlobStore store;
    private final Path dir;
    /** Each card and model manifest exported, parsed once. */
    private final Map<String, Declared> declared = new HashMap<>();

    RegistryExport(BlobStore store, Path dir) {
        this.store = store;
        this.dir = dir;
    }

    Summary run(String source) throws IOException {
        Files.createDirectories(dir);
        ExportManifest previous = ExportManifest.read(dir).orElse(null);
        if (previous == null) requireEmptyOrInterrupted();
        SortedMap<String, Entry> all = new TreeMap<>();
        Map<String, Entry> copied = new ConcurrentHashMap<>();
        List<BlobStore.Listed> fetch = new ArrayList<>();
        for (BlobStore.Listed l : listing()) {
            Entry old = previous == null ? null : previous.objects().get(l.key());
            if (unchanged(old, l)) all.put(l.key(), old);
            else if (isModelManifest(l.key())) copy(l, copied); // now: it says which of the model's files to export
            else fetch.add(l);
        }
        all.putAll(copied);
        Set<String> pushed = pushedModelObjects(all);
        Predicate<String> unpushed = key -> key.startsWith(StoreLayout.models()) && !pushed.contains(key);
        all.keySet().removeIf(unpushed);
        fetch.removeIf(l -> unpushed.test(l.key()));
        Transfers.each(fetch, l -> copy(l, copied));
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

    /** Registry keys, referring objects before the objects they refer to (StoreLayout). */
    private List<BlobStore.Listed> listing() {
        List<BlobStore.Listed> out = new ArrayList<>();
        for (String prefix : StoreLayout.registryPrefixes()) {
            for (BlobStore.Listed l : store.listSized(prefix)) {
                if (StoreLayout.inRegistryBackup(l.key())) out.add(l);
            }
        }
        return out;
    }

    /**
     * Of the base models, only those whose push completed (a manifest), and only the files the manifest lists: the
     * manifests and their files among {@code all}, which holds every manifest there is.
     */
    private Set<String> pushedModelObjects(Map<String, Entry> all) throws IOException {
        Set<String> out = new HashSet<>();
        for (String key : all.keySet()) {
            if (!isModelManifest(key)) continue;
            out.add(key);
            for (String file : declared(key).files().keySet()) out.add(folderOf(key) + file);
        }
        return out;
    }

    private void copy(BlobStore.Listed l, Map<String, Entry> copied) throws IOException {
        downloadIfPresent(l.key(), l.etag()).ifPresent(e -> copied.put(l.key(), e));
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
            Declared d = declared(declaring);
            List<String> needed = new ArrayList<>();
            for (String file : d.files().keySet()) needed.add(folderOf(declaring) + file);
            d.parentCard().ifPresent(needed::add);
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

    /**
     * The card or model manifest {@code key} as exported, parsed once for the model filter, fetchLate and the check.
     */
    private Declared declared(String key) throws IOException {
        Declared d = declared.get(key);
        if (d != null) return d;
        JsonNode json;
        try {
            json = JSON.readTree(Files.readAllBytes(ExportManifest.objectPath(dir, key)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a card or model manifest in the store is not valid JSON");
        }
        d = new Declared(AdapterCard.filesOf(json), parentCard(json));
        declared.put(key, d);
        return d;
    }

    private static Optional<String> parentCard(JsonNode declaring) {
        Matcher m = PARENT.matcher(declaring.path("parent").asText(""));
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
            for (var f : declared(declaring).files().entrySet()) {
                Entry got = all.get(folderOf(declaring) + f.getKey());
                if (got == null || !got.sha256().equals(f.getValue().sha256()))
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

    private static boolean isModelManifest(String key) {
        return declares(key) && key.startsWith(StoreLayout.models());
    }
}
