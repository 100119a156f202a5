package org.clinlora.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.clinlora.model.llama.TestResources;
import org.junit.jupiter.api.Test;

/**
 * bert-base-uncased's real tokenizer.json (WordPiece, lowercasing, accent stripping) through the product's tokenizer
 * gives the ids an independent implementation of BERT's tokenizer gives for clinical sentences (de-identification
 * brackets, vitals, abbreviations, accents, CJK), with [CLS] … [SEP] around them.
 */
class BertTokenizerTest {
    static final Path DIR = TestResources.path("bert-tokenizer");

    @Test
    void clinicalSentencesGetTheReferenceIds() throws IOException {
        JsonNode cases =
                new ObjectMapper().readTree(DIR.resolve("expected_ids.json").toFile());
        try (ClinicalTokenizer t = ClinicalTokenizer.load(DIR.resolve("tokenizer.json"))) {
            assertEquals(101, t.tokenId("[CLS]"));
            assertEquals(102, t.tokenId("[SEP]"));
            int n = 0;
            for (JsonNode c : cases) {
                long[] want = new long[c.get("ids").size()];
                for (int i = 0; i < want.length; i++)
                    want[i] = c.get("ids").get(i).asLong();
                assertArrayEquals(want, t.encode(c.get("text").asText(), true), "case " + n);
                long[] plain = t.encode(c.get("text").asText(), false);
                assertArrayEquals(
                        Arrays.copyOfRange(want, 1, want.length - 1), plain, "case " + n + " without [CLS]/[SEP]");
                n++;
            }
            assertEquals(14, n);
        }
    }
}
