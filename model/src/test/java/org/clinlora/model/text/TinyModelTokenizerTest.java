package org.clinlora.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TinyLlama;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A made-up model is a complete Hugging Face directory whose tokenizer.json DJL's tokenizers load and round-trip. */
class TinyModelTokenizerTest {
    @TempDir
    Path dir;

    static TinyLlama.Spec spec(long seed) {
        return new TinyLlama.Spec(700, 32, 1, 4, 2, TinyLlama.Spec.defaultIntermediate(32), 256, false, seed);
    }

    @Test
    void theTokenizerIsLlamaStyleAndRoundTripsTextIncludingUnseenCharacters() throws IOException {
        LlamaConfig c = TinyLlama.write(dir.resolve("m"), spec(3));
        JsonNode tj =
                new ObjectMapper().readTree(dir.resolve("m/tokenizer.json").toFile());
        assertEquals("BPE", tj.at("/model/type").asText());
        assertTrue(tj.at("/model/byte_fallback").asBoolean());
        assertEquals("<0x41>", tj.at("/model/vocab").fieldNames().hasNext() ? "<0x41>" : "");
        assertEquals(4 + 0x41, tj.at("/model/vocab/<0x41>").asInt());
        assertTrue(tj.at("/model/merges").size() > 50, "merges are learned from generated text");

        try (ClinicalTokenizer tok = ClinicalTokenizer.load(dir.resolve("m"))) {
            String note = "Patient presented with chest pain and fever. Cr 2.1 from baseline 1.0";
            long[] ids = tok.encode(note, true);
            assertEquals(BpeTokenizerBuilder.BOS_ID, ids[0], "LLaMA tokenizers put <s> first");
            assertTrue(ids.length < note.length() / 2, "merges compress clinical words: " + ids.length + " tokens");
            for (long id : ids) assertTrue(id >= 0 && id < c.vocabSize());
            assertEquals(note, tok.decode(ids));
            String unseen = "Temp 38.5°C — café ☃";
            assertEquals(unseen, tok.decode(tok.encode(unseen, true)), "byte_fallback covers any UTF-8");
        }
    }

    @Test
    void aBatchEncodesEachNoteExactlyAsOneByOneAndAsDjlsEncoding() throws IOException {
        TinyLlama.write(dir.resolve("m"), spec(3));
        List<String> notes = new ArrayList<>();
        for (SyntheticCorpus.Admission a : new SyntheticCorpus(new SyntheticCorpus.Settings(60, 0.9, 2)).admissions()) {
            notes.add(a.dischargeSummary());
        }
        notes.add("Temp 38.5°C — café ☃");
        try (ClinicalTokenizer tok = ClinicalTokenizer.load(dir.resolve("m"));
                HuggingFaceTokenizer djl = HuggingFaceTokenizer.builder()
                        .optTokenizerPath(dir.resolve("m/tokenizer.json"))
                        .optTruncation(false)
                        .optPadding(false)
                        .build()) {
            for (boolean special : new boolean[] {false, true}) {
                long[][] batch = tok.encodeBatch(notes, special);
                assertEquals(notes.size(), batch.length);
                for (int i = 0; i < notes.size(); i++) {
                    assertArrayEquals(tok.encode(notes.get(i), special), batch[i], "note " + i);
                    assertArrayEquals(
                            djl.encode(notes.get(i), special, false).getIds(),
                            batch[i],
                            "note " + i + " as DJL's Encoding");
                }
            }
            assertEquals(0, tok.encodeBatch(List.of(), true).length);
        }
    }

    @Test
    void theSameSeedMakesTheSameModelAndItRuns() throws IOException {
        TinyLlama.write(dir.resolve("a"), spec(5));
        TinyLlama.write(dir.resolve("b"), spec(5));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("a/" + f)), Files.readAllBytes(dir.resolve("b/" + f)), f);
        }
        try (LlamaModel m = LlamaModel.load(dir.resolve("a"), Compute.CPU_FP32);
                StepContext ctx = m.newStep(false)) {
            float[] logits = m.lmLogits(
                            ctx, m.hiddenStates(ctx, TokenBatch.unpadded(1, 4, new long[] {1, 9, 99, 699}), List.of()))
                    .toFloatArray();
            assertEquals(4 * 700, logits.length);
            for (float x : logits) assertTrue(Float.isFinite(x));
        }
    }
}
