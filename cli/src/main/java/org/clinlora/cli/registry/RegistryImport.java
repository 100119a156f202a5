package org.clinlora.cli.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.clinlora.cli.registry.ExportManifest.Entry;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.StoreLayout;

/**
 * Restores an export into a bucket that holds no registry ({@code ./clinlora registry import}). Every file is checked
 * against the export's manifest before anything is written, so a damaged export changes nothing. Objects go in the
 * order the registry makes things visible — files first, then model manifests, then cards, then alias moves — so a
 * service reading the bucket meanwhile sees whole versions or none; each is read back and hashed after it is written.
 * An import that stopped half-way is run again: objects already there with the export's size are skipped.
 */
final class RegistryImport {
    record Summary(int objects, int written, int skipped, long bytesWritten) {}

    private final BlobStore store;
    private final Path dir;

    RegistryImport(BlobStore store, Path dir) {
        this.store = store;
        this.dir = dir;
    }

    Summary run(String bucket) throws IOException {
        ExportManifest manifest = ExportManifest.read(dir)
                .orElseThrow(() -> new IllegalArgumentException(
                        dir + " has no " + ExportManifest.FILE + ": not a registry export (or an unfinished one)"));
        checkFolder(manifest);
        Map<String, Long> present = present(manifest, bucket);
        List<String> todo = new ArrayList<>();
        for (String key : manifest.objects().keySet()) if (!present.containsKey(key)) todo.add(key);
        AtomicLong bytes = new AtomicLong();
        AtomicInteger written = new AtomicInteger();
        for (int phase = 0; phase <= 3; phase++) {
            final int p = phase;
            List<String> now = todo.stream().filter(k -> phase(k) == p).toList();
            Transfers.each(now, key -> {
                Entry e = manifest.objects().get(key);
                upload(key, e);
                bytes.addAndGet(e.size());
                written.incrementAndGet();
            });
        }
        return new Summary(manifest.objects().size(), written.get(), present.size(), bytes.get());
    }

    /** Every object of the export, hashed: all of them must match before the first one is written. */
    private void checkFolder(ExportManifest manifest) throws IOException {
        Map<String, String> bad = new ConcurrentSkipListMap<>();
        Transfers.each(manifest.objects().entrySet(), e -> {
            Path f = ExportManifest.objectPath(dir, e.getKey());
            if (!Files.isRegularFile(f)) bad.put(e.getKey(), "missing");
            else if (Files.size(f) != e.getValue().size())
                bad.put(
                        e.getKey(),
                        Files.size(f) + " bytes, the manifest says "
                                + e.getValue().size());
            else if (!Sha256.of(f).equals(e.getValue().sha256()))
                bad.put(e.getKey(), "sha256 differs from the manifest's");
        });
        if (!bad.isEmpty()) {
            var first = bad.entrySet().iterator().next();
            throw new IllegalArgumentException(bad.size() + " file(s) of the export do not match its manifest, e.g. "
                    + first.getKey() + " (" + first.getValue() + "); nothing was imported");
        }
    }

    /**
     * Registry objects the bucket holds already: only the export's own, with its bytes (an import run again: they are
     * hashed, as an object of the same size may hold other bytes); anything else means the bucket has a registry of its
     * own, which an import never mixes with.
     */
    private Map<String, Long> present(ExportManifest manifest, String bucket) throws IOException {
        Map<String, Long> present = new ConcurrentSkipListMap<>();
        List<String> foreign = Collections.synchronizedList(new ArrayList<>());
        List<BlobStore.Listed> there = new ArrayList<>();
        for (String prefix : StoreLayout.registryPrefixes()) {
            for (BlobStore.Listed l : store.listSized(prefix)) {
                if (StoreLayout.inRegistryBackup(l.key())) there.add(l);
                else foreign.add(l.key());
            }
        }
        Transfers.each(there, l -> {
            Entry e = manifest.objects().get(l.key());
            if (e != null && e.size() == l.size() && e.sha256().equals(storedSha256(l.key()))) {
                present.put(l.key(), l.size());
            } else foreign.add(l.key());
        });
        Collections.sort(foreign);
        if (!foreign.isEmpty())
            throw new IllegalArgumentException("bucket " + bucket + " already holds " + foreign.size()
                    + " registry object(s) that are not this export's, e.g. " + foreign.get(0)
                    + "; import restores into a bucket without a registry");
        return present;
    }

    private void upload(String key, Entry e) throws IOException {
        Path f = ExportManifest.objectPath(dir, key);
        store.put(key, f, Map.of("sha256", e.sha256()));
        if (!storedSha256(key).equals(e.sha256())) {
            store.delete(key); // so that running the import again writes it anew
            throw new IllegalStateException(key + " read back from the bucket with another sha256 than the export's");
        }
    }

    private String storedSha256(String key) throws IOException {
        try (InputStream in = store.open(key)) {
            return Sha256.copy(in, OutputStream.nullOutputStream());
        }
    }

    /** 0 files, 1 model manifests, 2 cards, 3 alias moves: what makes a thing visible goes after what it shows. */
    static int phase(String key) {
        if (key.startsWith(StoreLayout.aliasLogs())) return 3;
        if (!RegistryExport.declares(key)) return 0;
        return key.endsWith(ModelStore.MANIFEST) && key.startsWith(StoreLayout.models()) ? 1 : 2;
    }
}
