package org.clinlora.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.llama.TinyLlama;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A LLaMA-style tokenizer encodes word by word through a word cache and must give exactly the native tokenizer's ids:
 * on notes, on texts made to find the edges (runs of spaces, a literal ▁, leading and trailing blanks, added tokens'
 * text, unseen characters), one by one and in batches, with and without {@code <s>}, with a cold and a warm cache.
 */
class MetaspaceWordsTest {
    @TempDir
    static Path dir;

    static Path model;

    @BeforeAll
    static void tinyModel() throws IOException {
        model = dir.resolve("m");
        TinyLlama.write(model, TinyModelTokenizerTest.spec(3));
    }

    static List<String> edgeTexts() {
        List<String> texts = new ArrayList<>(List.of(
                "",
                " ",
                "  ",
                "a",
                " a",
                "a ",
                "a  ",
                "  a  b   c ",
                "▁",
                "a▁",
                "▁a ▁ b",
                "x\n y\t z",
                "\n",
                "pain<s>fever",
                "</s> end",
                "<unk>",
                "Temp 38.5°C — café ☃",
                "Chief Complaint:  chest pain\n\tx 2 days,   Cr 1.2"));
        SplittableRandom rnd = new SplittableRandom(7);
        String alphabet = "aeiostnrlcdpmCHF0123 ▁\n\t.,:-<>s/é☃";
        for (int i = 0; i < 2000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int n = rnd.nextInt(0, 24); n > 0; n--) sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            texts.add(sb.toString());
        }
        for (SyntheticCorpus.Admission a : new SyntheticCorpus(new SyntheticCorpus.Settings(40, 0.9, 2)).admissions())
            texts.add(a.dischargeSummary());
        return texts;
    }

    @Test
    void wordByWordIdsAreTheNativeTokenizersOnEveryText() throws IOException {
        List<String> texts = edgeTexts();
        try (ClinicalTokenizer cached = ClinicalTokenizer.load(model);
                ClinicalTokenizer plain = ClinicalTokenizer.load(model, false)) {
            assertTrue(cached.cachesWords(), "the tiny models' tokenizer.json has LLaMA's layout");
            assertFalse(plain.cachesWords());
            for (boolean special : new boolean[] {false, true}) {
                long[][] cold = cached.encodeBatch(texts, special), warm = cached.encodeBatch(texts, special);
                for (int i = 0; i < texts.size(); i++) {
                    String t = texts.get(i);
                    long[] expected = plain.encode(t, special);
                    assertArrayEquals(expected, cold[i], "batch, cold cache: '" + t + "'");
                    assertArrayEquals(expected, warm[i], "batch, warm cache: '" + t + "'");
                    assertArrayEquals(expected, cached.encode(t, special), "one text: '" + t + "'");
                }
            }
        }
    }

    @Test
    void aVocabularyWithAPieceAcrossAWordMarkIsNeverSplit() throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root =
                (ObjectNode) json.readTree(model.resolve("tokenizer.json").toFile());
        ObjectNode vocab = (ObjectNode) root.path("model").path("vocab");
        vocab.put("s\u2581", vocab.size()); // a piece that would join two words
        Path other = dir.resolve("spanning");
        Files.createDirectories(other);
        json.writeValue(other.resolve("tokenizer.json").toFile(), root);
        try (ClinicalTokenizer tok = ClinicalTokenizer.load(other)) {
            assertFalse(tok.cachesWords(), "a split could change the ids, so the native tokenizer runs whole texts");
            assertTrue(tok.encode("chest pain", false).length > 0);
        }
    }

    @Test
    void addedTokensMatchedAfterNormalisationWithASpaceKeepTheNativePath() throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root =
                (ObjectNode) json.readTree(model.resolve("tokenizer.json").toFile());
        int id = root.path("model").path("vocab").size();
        ((ArrayNode) root.path("added_tokens"))
                .addObject()
                .put("id", id)
                .put("content", "chest pain")
                .put("single_word", false)
                .put("lstrip", false)
                .put("rstrip", false)
                .put("normalized", true)
                .put("special", false);
        Path other = dir.resolve("added-normalized");
        Files.createDirectories(other);
        json.writeValue(other.resolve("tokenizer.json").toFile(), root);
        try (ClinicalTokenizer tok = ClinicalTokenizer.load(other);
                ClinicalTokenizer plain = ClinicalTokenizer.load(other, false)) {
            assertFalse(tok.cachesWords(), "\"chest pain\" is matched in the normalised text, across a cut");
            assertArrayEquals(plain.encode("x chest\u2581pain", true), tok.encode("x chest\u2581pain", true));
        }
    }

    @Test
    void bertTokenizersKeepTheNativePath() throws IOException {
        Path bert = Path.of("src/test/resources/bert-tokenizer/tokenizer.json");
        try (ClinicalTokenizer tok = ClinicalTokenizer.load(bert)) {
            assertFalse(tok.cachesWords(), "WordPiece with a BERT normalizer is not the LLaMA layout");
        }
    }

    @Test
    void longWordsAreEncodedButNotCached() throws IOException {
        try (ClinicalTokenizer cached = ClinicalTokenizer.load(model);
                ClinicalTokenizer plain = ClinicalTokenizer.load(model, false)) {
            String longWord = "x".repeat(MetaspaceWords.MAX_WORD_CHARS + 1);
            String text = "short " + longWord + " words";
            assertArrayEquals(plain.encode(text, true), cached.encode(text, true));
            MetaspaceWords words = cached.wordCache();
            assertEquals(2, words.cachedWords(), "'short' and 'words', not the long one");
        }
    }
}
