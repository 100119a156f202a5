package org.clinlora.model.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.clinlora.model.io.PeftAdapterDir;

/**
 * Where a dataset's files go (a local folder here; the bucket through the platform's {@code StoreDatasetSink}). Either
 * way the dataset appears complete or not at all: locally the files are written into a temp folder renamed into place
 * at commit; in the object store the manifest is written last, and a reader never trusts a shard without it.
 */
public interface DatasetSink {
    void put(String file, byte[] data) throws IOException;

    /** Writes the manifest and makes the dataset visible. */
    void commit(byte[] manifest) throws IOException;

    /** Removes whatever an unfinished build wrote. */
    void abort();

    static DatasetSink directory(Path dir) throws IOException {
        if (Files.exists(dir)) throw new IllegalArgumentException(dir + " already exists");
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".building");
        return new DatasetSink() {
            public void put(String file, byte[] data) throws IOException {
                Files.write(tmp.resolve(file), data);
            }

            public void commit(byte[] manifest) throws IOException {
                Files.write(tmp.resolve(DatasetBuilder.MANIFEST), manifest);
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            }

            public void abort() {
                try {
                    PeftAdapterDir.deleteTree(tmp);
                } catch (IOException ignored) {
                    // a temp folder left behind is harmless and named .building
                }
            }
        };
    }
}
