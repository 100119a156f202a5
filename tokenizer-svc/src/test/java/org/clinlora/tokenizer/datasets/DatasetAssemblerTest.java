package org.clinlora.tokenizer.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.platform.events.ClinicalNote;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.testing.InMemoryBlobStore;
import org.clinlora.tokenizer.TokenizerConfig;
import org.clinlora.tokenizer.tokenize.Tokenizers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One build's work without Kafka or S3: a tiny LLaMA's tokenizer and the notes in an in-memory store, the dataset
 * written back to it. Checks what a build promises in its manifest: every note once, in the splits it belongs to.
 */
class DatasetAssemblerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String MODEL = "tiny-llama";

    @TempDir
    static Path tmp;

    static Path modelDir;

    InMemoryBlobStore store;
    NoteStreams streams;
    DatasetAssembler assembler;

    @BeforeAll
    static void tinyModel() throws Exception {
        modelDir = tmp.resolve("model");
        TinyLlama.write(modelDir, new TinyLlama.Spec(900, 32, 1, 4, 2, 96, 512, false, 8));
    }

    @BeforeEach
    void setUp() throws Exception {
        store = new InMemoryBlobStore();
        ModelStore models = new ModelStore(store);
        models.upload(MODEL, modelDir);
        Path cache = Files.createTempDirectory(tmp, "tokenizers");
        Tokenizers tokenizers = new Tokenizers(models, new TokenizerConfig() {
            @Override
            public Path cacheDir() {
                return cache;
            }

            @Override
            public int maxPendingBuilds() {
                return 1;
            }
        });
        streams = new NoteStreams(store);
        assembler = new DatasetAssembler(store, tokenizers, streams);
    }

    /** A task CSV of {@code patients} patients with two notes each, labels alternating 0 and 1 by patient. */
    static String taskCsv(int patients, int firstId) {
        StringBuilder csv = new StringBuilder("id,subject_id,text,label\n");
        for (int p = 0; p < patients; p++) {
            for (int n = 0; n < 2; n++) {
                csv.append("n")
                        .append(firstId + 2 * p + n)
                        .append(",p")
                        .append(firstId + p)
                        .append(",\"Patient admitted with chest pain, note ")
                        .append(n)
                        .append(". Troponin negative, discharged home.\",")
                        .append(p % 2)
                        .append('\n');
            }
        }
        return csv.toString();
    }

    static DatasetSpec classification(
            List<String> sources, DatasetSpec.Splits splits, String stream, Double validation, Double test) {
        return new DatasetSpec(
                        null,
                        MODEL,
                        "classification",
                        null,
                        sources,
                        splits,
                        stream,
                        null,
                        32,
                        null,
                        null,
                        null,
                        null,
                        validation,
                        test,
                        7L,
                        null,
                        4)
                .withDefaults()
                .withId("ds-unit");
    }

    JsonNode storedManifest() throws Exception {
        return JSON.readTree(
                store.getBytes(StoreLayout.dataset("ds-unit") + "manifest.json").orElseThrow());
    }

    static long rows(JsonNode manifest, String split) {
        return manifest.path("counts").path(split).path("rows").asLong();
    }

    /** The shards the manifest lists are in the store, and nothing else is under the dataset's prefix. */
    void assertOnlyListedShards(JsonNode manifest) {
        String prefix = StoreLayout.dataset("ds-unit");
        Set<String> expected = new HashSet<>(Set.of(prefix + "manifest.json"));
        for (JsonNode shard : manifest.get("shards"))
            expected.add(prefix + shard.get("file").asText());
        assertEquals(expected, new HashSet<>(store.list(prefix)));
    }

    @Test
    void aClassificationDatasetFromATaskFileInTheStoreHasEveryNoteOnceSplitByPatient() throws Exception {
        byte[] csv = taskCsv(12, 0).getBytes(StandardCharsets.UTF_8);
        store.put("raw/notes.csv", csv, Map.of());
        DatasetSpec spec = classification(List.of("raw/notes.csv"), null, null, 0.25, 0.25);
        BuildProgress live = new BuildProgress();

        assembler.build(DatasetJob.queued(spec, null), live);

        JsonNode m = storedManifest();
        assertEquals("classification", m.get("kind").asText());
        assertEquals(List.of("0", "1"), JSON.convertValue(m.get("labelNames"), List.class));
        assertFalse(m.get("multilabel").asBoolean());
        assertEquals("subject_id", m.path("split").path("by").asText());
        long notes = 0;
        for (String split : List.of("train", "validation", "test")) {
            assertEquals(
                    rows(m, split), m.path("counts").path(split).path("notes").asLong(), split + ": one row per note");
            assertEquals(0, rows(m, split) % 2, split + ": a patient's two notes stay in one split");
            notes += rows(m, split);
        }
        assertEquals(24, notes, "every note once");
        assertTrue(rows(m, "train") > 0, "the training split is not empty");
        assertEquals(List.of("raw/notes.csv"), JSON.convertValue(m.get("sources"), List.class));
        assertEquals(0, m.get("skippedRows").asLong());
        assertFalse(m.has("synthetic"), "these notes are not the synthetic generator's");
        assertOnlyListedShards(m);
        assertEquals(24, live.notes.get());
        assertEquals(csv.length, live.bytes.get(), "progress counts every source byte");
        assertEquals(csv.length, live.bytesTotal);
    }

    @Test
    void givenSplitsAreUsedAsTheyAreWithTheTrainingFilesLabels() throws Exception {
        store.put("raw/train.csv", taskCsv(4, 0).getBytes(StandardCharsets.UTF_8), Map.of());
        store.put("raw/val.csv", taskCsv(2, 100).getBytes(StandardCharsets.UTF_8), Map.of());
        store.put("raw/test.csv", taskCsv(1, 200).getBytes(StandardCharsets.UTF_8), Map.of());
        DatasetSpec spec = classification(
                null, new DatasetSpec.Splits("raw/train.csv", "raw/val.csv", "raw/test.csv"), null, null, null);

        assembler.build(DatasetJob.queued(spec, null), new BuildProgress());

        JsonNode m = storedManifest();
        assertEquals("given", m.path("split").path("by").asText());
        assertEquals(8, rows(m, "train"));
        assertEquals(4, rows(m, "validation"));
        assertEquals(2, rows(m, "test"));
        assertEquals(List.of("0", "1"), JSON.convertValue(m.get("labelNames"), List.class));
        assertOnlyListedShards(m);
    }

    @Test
    void aStreamsNotesBecomeRowsAndASyntheticCorpusIsMarked() throws Exception {
        for (int i = 0; i < 6; i++) {
            String text = SyntheticCorpus.MARK + " Follow-up visit " + i + ", no acute distress.";
            streams.stage(ClinicalNote.of("ward", "n" + i, "p" + i, text, List.of(i % 2 == 0 ? "a" : "b")));
        }
        DatasetSpec spec = classification(null, null, "ward", 0.0, 0.0);
        BuildProgress live = new BuildProgress();

        assembler.build(DatasetJob.queued(spec, null), live);

        JsonNode m = storedManifest();
        assertEquals("ward", m.get("stream").asText());
        assertEquals(6, rows(m, "train"), "no validation or test split asked for");
        assertEquals(List.of("a", "b"), JSON.convertValue(m.get("labelNames"), List.class));
        assertTrue(m.get("synthetic").asText().contains("not patient data"));
        assertEquals(6L, live.notesTotal);
        assertEquals(6, live.notes.get());
        assertOnlyListedShards(m);
    }
}
