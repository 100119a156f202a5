package org.clinlora.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.clinlora.model.llama.TestResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cased BERT vocabulary behind a lowercasing normalizer (Bio_ClinicalBERT converted with do_lower_case on,
 * clinicalBERT issue #26) is detected; bert-base-uncased's own tokenizer.json and a cased one that keeps the case are
 * not.
 */
class CasedVocabularyTest {
    static final Path UNCASED = TestResources.path("bert-tokenizer").resolve("tokenizer.json");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** One of the capitalised entries. */
    String firstCased;

    /**
     * bert-base-uncased's tokenizer.json with every 20th whole word of three letters or more capitalised (3.6% of the
     * vocabulary: a modest share, as a cased vocabulary's is far above 1% — Bio_ClinicalBERT's is about a third),
     * normalizer.lowercase as given.
     */
    Path casedCopy(boolean lowercase) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(UNCASED.toFile());
        ObjectNode vocab = (ObjectNode) root.path("model").path("vocab");
        List<String> words = new ArrayList<>();
        for (Iterator<String> it = vocab.fieldNames(); it.hasNext(); ) {
            String w = it.next();
            if (w.matches("[a-z]{3,}")) words.add(w);
        }
        for (int i = 0; i < words.size(); i += 20) {
            String w = words.get(i), cased = Character.toUpperCase(w.charAt(0)) + w.substring(1);
            vocab.set(cased, vocab.remove(w));
            if (i == 0) firstCased = cased;
        }
        ((ObjectNode) root.path("normalizer")).put("lowercase", lowercase);
        Path file = tmp.resolve((lowercase ? "lowercasing" : "cased") + "-tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    @Test
    void aCasedVocabularyBehindALowercasingNormalizerIsDetected() throws IOException {
        Path broken = casedCopy(true);
        assertTrue(ClinicalTokenizer.lowercasesCasedVocabulary(broken));
        double share = ClinicalTokenizer.upperCaseShareIfLowercased(broken);
        assertTrue(share > 0.03 && share < 0.04, "3.6% of the vocabulary: " + share);
        // Still a working tokenizer (the warning does not stop it), and it shows the harm: a cased word of the
        // vocabulary is one token where the case is kept, and never that token behind the lowercasing normalizer.
        try (ClinicalTokenizer t = ClinicalTokenizer.load(broken);
                ClinicalTokenizer kept = ClinicalTokenizer.load(casedCopy(false))) {
            assertEquals(101, t.tokenId("[CLS]"));
            long[] one = kept.encode(firstCased, false), lowered = t.encode(firstCased, false);
            assertEquals(1, one.length, firstCased);
            assertFalse(
                    Arrays.stream(lowered).anyMatch(id -> id == one[0]),
                    firstCased + " -> " + Arrays.toString(lowered));
        }
    }

    @Test
    void uncasedAndCaseKeepingTokenizersAreNotFlagged() throws IOException {
        assertFalse(ClinicalTokenizer.lowercasesCasedVocabulary(UNCASED), "bert-base-uncased: lowercase and uncased");
        assertTrue(ClinicalTokenizer.upperCaseShareIfLowercased(UNCASED) < 0.001);
        assertFalse(ClinicalTokenizer.lowercasesCasedVocabulary(casedCopy(false)), "cased and keeping the case");
    }

    @Test
    void aLowercaseInsideASequenceNormalizerCountsToo() throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(casedCopy(true).toFile());
        ObjectNode seq = JSON.createObjectNode().put("type", "Sequence");
        seq.putArray("normalizers")
                .add(JSON.createObjectNode().put("type", "NFD"))
                .add(JSON.valueToTree(Map.of("type", "Lowercase")));
        root.set("normalizer", seq);
        Path file = tmp.resolve("sequence.json");
        JSON.writeValue(file.toFile(), root);
        assertTrue(ClinicalTokenizer.lowercasesCasedVocabulary(file));
        try (ClinicalTokenizer t = ClinicalTokenizer.load(file)) {
            assertArrayEquals(t.encode("chest", false), t.encode("CHEST", false));
        }
    }
}
