package org.clinlora.scorer.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.DatasetSink;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.data.TokenDataset;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.BpeTokenizerBuilder;
import org.clinlora.model.text.NoteNormalizer;
import org.clinlora.model.text.SampleClinicalText;
import org.clinlora.model.train.Hyperparameters;
import org.clinlora.model.train.Trainer;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.registry.AdapterSource;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.testing.InMemoryBlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Train/serve skew: an adapter trained on a dataset built with tail truncation and without the normaliser must be
 * scored with exactly those settings. The scorer's probabilities for the raw notes equal the forward pass over the
 * dataset's own rows. (Before the encoding travelled on the card, the scorer always normalised and kept the head.)
 */
class TrainServeSkewTest {
    static final String BASE = "skew-base";
    static final int SEQ_LEN = 24;

    @TempDir
    Path dir;

    /** Notes the normaliser would change (headers, runs of blanks, de-id underscores), longer than a row. */
    static String note(int i) {
        return "CHIEF COMPLAINT :   " + SampleClinicalText.generate(100 + i, 2)
                + "\n\n\n\nHISTORY OF PRESENT ILLNESS:\t______ " + SampleClinicalText.generate(200 + i, 3)
                + "   IMPRESSION :  " + (i % 2 == 0 ? "stable" : "worse");
    }

    @Test
    void notesAreScoredWithTheEncodingTheAdapterWasTrainedWith() throws Exception {
        Path base = dir.resolve("base");
        TinyLlama.write(
                base, new TinyLlama.Spec(600, 32, 2, 4, 2, TinyLlama.Spec.defaultIntermediate(32), 256, false, 4));
        NoteEncoding encoding = new NoteEncoding(
                NoteNormalizer.NONE,
                NoteEncoding.Truncation.TAIL,
                SEQ_LEN,
                BpeTokenizerBuilder.BOS_ID,
                BpeTokenizerBuilder.PAD_ID);
        var settings = new DatasetBuilder.Settings(
                TaskKind.SEQ_CLS,
                SEQ_LEN,
                encoding.truncation(),
                encoding.normalizer(),
                0.2,
                0.4,
                7,
                1000,
                BpeTokenizerBuilder.BOS_ID,
                BpeTokenizerBuilder.EOS_ID,
                BpeTokenizerBuilder.PAD_ID);
        List<String> testNotes = new ArrayList<>();
        try (DatasetBuilder b = new DatasetBuilder(
                "skew",
                settings,
                new DatasetBuilder.LabelSpace(List.of("0", "1"), false),
                base,
                DatasetSink.directory(dir.resolve("ds")))) {
            for (int i = 0; i < 40; i++) {
                b.add("n" + i, "p" + i, note(i), List.of(String.valueOf(i % 2)));
                if (b.splitOf("p" + i).equals("test")) testNotes.add(note(i));
            }
            b.commit();
        }
        TokenDataset data = TokenDataset.openLocal(dir.resolve("ds"), dir.resolve("cache"));
        assertEquals(encoding, data.encoding(), "the manifest records how notes became rows");

        Path adapterDir = dir.resolve("adapter");
        try (LlamaModel m = LlamaModel.load(base, Compute.CPU_FP32)) {
            Hyperparameters h = new Hyperparameters(
                    4, 8, 0.0, List.of("q_proj", "v_proj"), 1e-2, 0.0, 4, 1, 1, 3, 0.0, 1.0, 1, false);
            Trainer.Result r = new Trainer(m, data, TaskKind.SEQ_CLS, h, List.of()).run("trained", quiet(), 0, null);
            PeftAdapterDir.save(r.adapter(), adapterDir, BASE);
        }
        AdapterCard card = card(adapterDir, data);

        InMemoryBlobStore blobs = new InMemoryBlobStore();
        ModelStore models = new ModelStore(blobs);
        models.upload(BASE, base);
        AdapterSource registry = new AdapterSource() {
            @Override
            public RegistryClient.Resolved resolve(AdapterRef ref) {
                return new RegistryClient.Resolved(card.name(), card.version(), card, List.of(card));
            }

            @Override
            public Path download(AdapterCard c, Path to) throws IOException {
                Files.createDirectories(to);
                for (String f : c.files().keySet())
                    Files.copy(adapterDir.resolve(f), to.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                return to;
            }
        };
        TestScorerConfig config = new TestScorerConfig(Optional.empty(), dir.resolve("scorer"), 128, 64);
        BaseModelBinding binding = new BaseModelBinding(config);
        ScoringModel model = new ScoringModel(models, binding, config);
        AdapterCache cache = new AdapterCache(registry, model, config);
        ScoringService scorer = new ScoringService(
                new TaskResolver(registry, binding, config), model, cache, new BatchScheduler(model, cache, config));

        ScoringService.Scored scored =
                scorer.scoreNotes("mortality@1", testNotes).get(2, TimeUnit.MINUTES);
        List<float[]> expected = forwardOverDatasetRows(base, adapterDir, data);
        assertEquals(expected.size(), scored.rows().size(), "one score per test row");
        assertTrue(expected.size() >= 5, "enough test rows: " + expected.size());
        for (int i = 0; i < expected.size(); i++) {
            BatchScheduler.Row row = scored.rows().get(i);
            assertTrue(row.truncated(), "every note is longer than the row");
            assertEquals(SEQ_LEN, row.tokens(), "cut to the dataset's seqLen, not the scorer's max-tokens");
            for (int j = 0; j < 2; j++) {
                assertEquals(
                        expected.get(i)[j],
                        row.probabilities().get(String.valueOf(j)),
                        1e-5,
                        "row " + i + " label " + j);
            }
        }
    }

    /** softmax(score(pool(forward(row)))) for each test row of the dataset, as the trainer evaluates it. */
    static List<float[]> forwardOverDatasetRows(Path base, Path adapterDir, TokenDataset data) throws IOException {
        List<float[]> out = new ArrayList<>();
        try (LlamaModel m = LlamaModel.load(base, Compute.CPU_FP32)) {
            LoraAdapter a = PeftAdapterDir.load(m, "a", adapterDir);
            for (TokenDataset.Shard shard : data.shards("test")) {
                TokenDataset.Rows rows = data.load(shard);
                for (int i = 0; i < rows.rows(); i++) {
                    int n = rows.lengths()[i];
                    long[] ids = new long[n], mask = new long[n];
                    for (int j = 0; j < n; j++) {
                        ids[j] = rows.inputIds()[i * rows.seqLen() + j];
                        mask[j] = 1;
                    }
                    TokenBatch batch = new TokenBatch(1, n, ids, mask);
                    try (StepContext ctx = m.newStep(false)) {
                        NDArray logits = m.classify(
                                ctx, m.hiddenStates(ctx, batch, List.of(a.name())), batch, List.of(a.name()));
                        out.add(data.problemType().probabilities(logits).toFloatArray());
                    }
                }
            }
        }
        return out;
    }

    static AdapterCard card(Path adapterDir, TokenDataset data) throws IOException {
        Map<String, AdapterCard.FileEntry> files = new TreeMap<>();
        for (String f : List.of(PeftAdapterDir.CONFIG, PeftAdapterDir.WEIGHTS)) {
            files.put(
                    f, new AdapterCard.FileEntry(Sha256.of(adapterDir.resolve(f)), Files.size(adapterDir.resolve(f))));
        }
        return new AdapterCard(
                AdapterCard.SCHEMA_VERSION,
                "mortality",
                1,
                "mortality",
                "SEQ_CLS",
                data.labelNames(),
                data.problemType(),
                data.encoding(),
                new AdapterCard.BaseModel(BASE, "unused"),
                null,
                List.of(data.id()),
                Map.of(),
                Map.of(),
                files,
                Instant.now().toString(),
                "test");
    }

    static Trainer.Listener quiet() {
        return Trainer.Listener.none();
    }
}
