package org.clinlora.model.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.SpecialIds;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.DatasetSink;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TokenDataset;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.model.text.NoteNormalizer;
import org.clinlora.model.train.Hyperparameters;
import org.clinlora.model.train.PaperDefaults;
import org.clinlora.model.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A BERT base as a user of the library meets it: rows it is fed, a baseline trained and saved, wrong settings refused.
 */
class BertBaseTest {
    @TempDir
    Path tmp;

    Path tinyBert() throws IOException {
        Path dir = tmp.resolve("bert");
        TinyBert.write(dir, new TinyBert.Spec(2000, 32, 2, 4, 64, 64, 3));
        return dir;
    }

    static SpecialIds ids(Path model) throws IOException {
        try (ClinicalTokenizer t = ClinicalTokenizer.load(model)) {
            return BaseModelConfig.read(model.resolve("config.json")).specialIds(t);
        }
    }

    @Test
    void classificationRowsAreClsNoteSepThenPaddingAndTheManifestCarriesSep() throws IOException {
        Path model = tinyBert();
        SpecialIds ids = ids(model);
        assertEquals(new SpecialIds(2, 3, 0, 3), ids);
        var settings = new DatasetBuilder.Settings(
                TaskKind.SEQ_CLS, 16, NoteEncoding.Truncation.HEAD, NoteNormalizer.DEFAULT, 0.1, 0.1, 1, 100, ids);
        NoteEncoding enc = settings.encoding();
        try (ClinicalTokenizer t = ClinicalTokenizer.load(model)) {
            long[] plain = t.encode("chest pain", false);
            NoteEncoding.Encoded short_ = enc.encode(t, "chest pain");
            assertEquals(plain.length + 2, short_.ids().length);
            assertEquals(2, short_.ids()[0]);
            assertEquals(3, short_.ids()[short_.ids().length - 1]);
            String longNote = "shortness of breath and chest pain ".repeat(20);
            NoteEncoding.Encoded cut = enc.encode(t, longNote);
            assertEquals(16, cut.ids().length, "[CLS] + 14 tokens + [SEP]");
            assertTrue(cut.truncated());
            assertEquals(3, cut.ids()[15], "a cut row still ends with [SEP]");
            long[] head = t.encode(NoteNormalizer.DEFAULT.normalize(longNote), false);
            assertArrayEquals(Arrays.copyOf(head, 14), Arrays.copyOfRange(cut.ids(), 1, 15));
        }
        Path dir = tmp.resolve("ds");
        try (DatasetBuilder b = new DatasetBuilder(
                "bert-rows",
                settings,
                new DatasetBuilder.LabelSpace(List.of("0", "1"), false),
                model,
                DatasetSink.directory(dir))) {
            for (int i = 0; i < 40; i++) b.add("n" + i, "p" + i, "note number " + i, List.of(String.valueOf(i % 2)));
            b.commit();
        }
        TokenDataset ds = TokenDataset.openLocal(dir, tmp.resolve("cache"));
        assertEquals(enc, ds.encoding(), "the manifest records [SEP], so the scorer encodes notes as the rows were");
        TokenDataset.Rows rows = ds.load(ds.shards("train").get(0));
        int len = rows.lengths()[0];
        assertEquals(2, rows.inputIds()[0]);
        assertEquals(3, rows.inputIds()[len - 1]);
        for (int j = len; j < 16; j++) assertEquals(0, rows.inputIds()[j], "right padding with [PAD]");
        // A manifest written before rows could be closed (LLaMA's) reads as not closed.
        assertNull(NoteEncoding.fromManifest(new ObjectMapper()
                        .readTree("{\"seqLen\": 8, \"truncation\": \"head\", \"bosId\": 1, \"padId\": 2}"))
                .sepId());
    }

    @Test
    void aFullyFineTunedBaselineSavedAsAModelDirectoryReloadsWithTheSameLogits() throws IOException {
        Path model = tinyBert();
        Path dsDir = tmp.resolve("mor");
        var settings = new DatasetBuilder.Settings(
                TaskKind.SEQ_CLS,
                32,
                NoteEncoding.Truncation.HEAD,
                NoteNormalizer.DEFAULT,
                0.2,
                0.2,
                1,
                1000,
                ids(model));
        SyntheticCorpus corpus = new SyntheticCorpus(new SyntheticCorpus.Settings(60, 0.9, 4));
        try (DatasetBuilder b = new DatasetBuilder(
                "mor",
                settings,
                new DatasetBuilder.LabelSpace(List.of("0", "1"), false),
                model,
                DatasetSink.directory(dsDir))) {
            for (SyntheticCorpus.Admission a : corpus.admissions())
                b.add(a.hadmId(), a.subjectId(), a.admissionNote(), a.labels("mor"));
            b.commit();
        }
        TokenDataset ds = TokenDataset.openLocal(dsDir, tmp.resolve("cache"));
        var hyper = PaperDefaults.downstream(1);
        hyper = new Hyperparameters(
                hyper.r(),
                hyper.loraAlpha(),
                hyper.loraDropout(),
                List.of("query", "value"),
                1e-3,
                0.0,
                8,
                1,
                1,
                6,
                0.0,
                1.0,
                1,
                false);
        TokenBatch batch = TokenBatch.unpadded(1, 5, new long[] {2, 10, 11, 12, 3});
        float[] trained;
        Path saved = tmp.resolve("saved");
        try (BaseModel m = BaseModel.load(model, Compute.CPU_FP32)) {
            Trainer.Result r = new Trainer(m, ds, TaskKind.SEQ_CLS, hyper, List.of())
                    .fullFineTuning(true)
                    .run("full", Trainer.Listener.none(), 0, null);
            assertNull(r.adapter(), "full fine-tuning trains the base, not an adapter");
            long every = BertCheckpoint.expectedTensors((BertConfig) m.config()).values().stream()
                            .mapToLong(shape -> Arrays.stream(shape).reduce(1, (x, y) -> x * y))
                            .sum()
                    + 2L * 32
                    + 2;
            assertEquals(
                    every, r.trainableParameters(), "every parameter of the encoder and the new classifier trains");
            try (StepContext ctx = m.newStep(false)) {
                trained = m.classify(ctx, batch, List.of()).toFloatArray();
            }
            m.saveModel(saved, ds.labelNames());
        }
        Files.copy(model.resolve("tokenizer.json"), saved.resolve("tokenizer.json"));
        BertConfig c = (BertConfig) BaseModelConfig.read(saved.resolve("config.json"));
        assertEquals(List.of("0", "1"), c.labels());
        try (BaseModel m = BaseModel.load(saved, Compute.CPU_FP32);
                StepContext ctx = m.newStep(false)) {
            assertArrayEquals(trained, m.classify(ctx, batch, List.of()).toFloatArray(), 0f);
        }
    }

    @Test
    void wrongSettingsForAnEncoderAreRefusedWithAReason() throws IOException {
        Path model = tinyBert();
        var e = assertThrows(IllegalArgumentException.class, () -> BaseModel.load(model, Compute.parse("cpu", "fp16")));
        assertTrue(e.getMessage().contains("fp32 only"), e.getMessage());
        try (BaseModel m = BaseModel.load(model, Compute.CPU_FP32)) {
            LoraConfig llamaTargets = new LoraConfig(
                    "SEQ_CLS", 8, 4, 0.1, List.of("q_proj", "v_proj"), List.of("classifier"), false, null);
            var x = assertThrows(
                    IllegalArgumentException.class,
                    () -> LoraAdapter.create(
                            "x",
                            llamaTargets,
                            m.projections(),
                            m.classifierHead(),
                            m.manager(),
                            DataType.FLOAT32,
                            2,
                            32,
                            0.02,
                            1));
            assertTrue(x.getMessage().contains("select no projection"), x.getMessage());
            var u = assertThrows(UnsupportedOperationException.class, () -> {
                try (StepContext ctx = m.newStep(false)) {
                    m.lmLogits(ctx, null);
                }
            });
            assertTrue(u.getMessage().contains("encoders"), u.getMessage());
        }
    }
}
