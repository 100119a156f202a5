package org.clinlora.platform.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.data.NoteFiles;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.BpeTokenizerBuilder;
import org.clinlora.model.text.NoteNormalizer;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalS3;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A dataset built into the real local S3Proxy: shards first, manifest last, every checksum readable back. */
@ExtendWith(LocalS3.class)
class DatasetStoreIT {
    @Test
    void aDatasetInTheStoreIsCompleteWithItsManifestOrAbsent() throws Exception {
        ObjectStore store = new ObjectStore(LocalInfra.s3Settings());
        Path dir = Files.createTempDirectory("dataset-it");
        TinyLlama.write(dir.resolve("m"), new TinyLlama.Spec(700, 32, 1, 4, 2, 96, 512, false, 1));
        new SyntheticCorpus(new SyntheticCorpus.Settings(30, 0.8, 2)).write(dir.resolve("c"));
        var settings = new DatasetBuilder.Settings(
                TaskKind.SEQ_CLS,
                48,
                NoteEncoding.Truncation.HEAD,
                NoteNormalizer.DEFAULT,
                0.2,
                0.2,
                1,
                20,
                BpeTokenizerBuilder.BOS_ID,
                BpeTokenizerBuilder.EOS_ID,
                BpeTokenizerBuilder.PAD_ID);
        var labels = new DatasetBuilder.LabelSpace(List.of("0", "1"), false);

        String id = "mor-" + UUID.randomUUID(), prefix = "datasets/" + id + "/";
        try (DatasetBuilder b =
                new DatasetBuilder(id, settings, labels, dir.resolve("m"), StoredDatasets.sink(store, prefix))) {
            NoteFiles.readTaskFile(dir.resolve("c/synthetic_mor.csv"), CsvReader.OnMalformed.FAIL, e -> {
                try {
                    b.add(e.id(), e.subjectId(), e.text(), e.labels());
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            });
            b.commit();
        }
        JsonNode m = new ObjectMapper()
                .readTree(store.getBytes(prefix + "manifest.json").orElseThrow());
        assertTrue(m.get("shards").size() > 1);
        for (JsonNode sh : m.get("shards")) {
            assertEquals(
                    sh.get("sha256").asText(),
                    Sha256.of(store.getBytes(prefix + sh.get("file").asText()).orElseThrow()));
        }

        String failed = "datasets/failed-" + UUID.randomUUID() + "/";
        try (DatasetBuilder b =
                new DatasetBuilder("failed", settings, labels, dir.resolve("m"), StoredDatasets.sink(store, failed))) {
            for (int i = 0; i < 45; i++) b.add("r" + i, "p" + i, "Chief Complaint: fever number " + i, List.of("1"));
            assertThrows(IllegalArgumentException.class, () -> b.add("bad", "p", "text", List.of("7")));
        }
        assertTrue(store.list(failed).isEmpty(), "shards of an unfinished build are removed and no manifest exists");
    }
}
