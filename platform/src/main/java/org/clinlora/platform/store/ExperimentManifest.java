package org.clinlora.platform.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * What a published experiment holds ({@link StoreLayout#experiment}): its name, protocol preset, the number of rows of
 * its results table, when it was published, and every file with its size and sha256. Written after the files, so an
 * experiment whose upload stopped half-way has none and is not listed; the console reads a file only as the manifest
 * names it and only with the sha256 it names.
 *
 * @param published when, ISO-8601 UTC ({@code 2026-12-06T09:30:00Z})
 * @param configSha256 the sha256 of its config.json: another config under the same name is another experiment
 */
public record ExperimentManifest(
        String name, String protocol, int rows, String published, String configSha256, List<Entry> files) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One file, its path relative to the experiment's folder ({@code results.csv}, {@code figures/auroc.svg}). */
    public record Entry(String path, long size, String sha256) {}

    public ExperimentManifest {
        files = List.copyOf(files);
    }

    /** The entry for {@code path}, if the experiment holds that file. */
    public Optional<Entry> file(String path) {
        return files.stream().filter(f -> f.path().equals(path)).findFirst();
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The manifest of experiment {@code name} in {@code store}, or empty when it is not (or not wholly) published. */
    public static Optional<ExperimentManifest> read(BlobStore store, String name) {
        return store.getBytes(StoreLayout.experiment(name) + StoreLayout.EXPERIMENT_MANIFEST)
                .map(ExperimentManifest::parse);
    }

    public static ExperimentManifest parse(byte[] json) {
        try {
            return JSON.readValue(json, ExperimentManifest.class);
        } catch (IOException e) {
            throw new UncheckedIOException("not an experiment manifest", e);
        }
    }
}
