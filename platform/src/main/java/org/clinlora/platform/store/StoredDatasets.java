package org.clinlora.platform.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.DatasetSink;
import org.clinlora.model.data.TokenDataset;

/** Token datasets in the bucket: {@code datasets/{id}/manifest.json} and its shards, read and written. */
public final class StoredDatasets {
    private StoredDatasets() {}

    /** Opens a complete dataset (its manifest exists); unknown or incomplete is an IllegalArgumentException. */
    public static TokenDataset open(BlobStore store, String datasetId, Path cacheDir) throws IOException {
        String prefix = StoreLayout.dataset(datasetId);
        byte[] manifest = store.getBytes(prefix + DatasetBuilder.MANIFEST)
                .orElseThrow(() -> new IllegalArgumentException(
                        "unknown dataset '" + datasetId + "' (no complete datasets/" + datasetId + "/ in the store)"));
        return TokenDataset.of(datasetId, manifest, f -> store.open(prefix + f), cacheDir);
    }

    /**
     * A sink that writes {@code prefix} in the bucket; the manifest goes last, so a reader never sees half a dataset.
     */
    public static DatasetSink sink(BlobStore store, String prefix) {
        return new DatasetSink() {
            public void put(String file, byte[] data) {
                store.put(prefix + file, data, Map.of());
            }

            public void commit(byte[] manifest) {
                store.put(prefix + DatasetBuilder.MANIFEST, manifest, Map.of());
            }

            public void abort() {
                for (String k : store.list(prefix)) store.delete(k);
            }
        };
    }
}
