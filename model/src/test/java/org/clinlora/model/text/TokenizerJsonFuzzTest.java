package org.clinlora.model.text;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.clinlora.model.fuzz.Refusals;
import org.clinlora.model.llama.TestResources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile {@code tokenizer.json} files, loaded as every service loads a base model's tokenizer (the native Hugging Face
 * tokenizers, then this project's own reading of the normalizer, vocabulary and added tokens for the word cache and the
 * cased-vocabulary warning), then used on a fixed text. A file either loads and encodes or is refused with an
 * IllegalArgumentException saying why.
 */
class TokenizerJsonFuzzTest {
    private static final String TEXT = "Chief Complaint:  chest pain x 2 days, Cr 1.2 ▁ café";
    private static Path file;

    @BeforeAll
    static void scratch() throws IOException {
        file = Files.createTempFile("fuzz", "-tokenizer.json");
    }

    @AfterAll
    static void cleanUp() throws IOException {
        Files.deleteIfExists(file);
    }

    static Stream<byte[]> seeds() throws IOException {
        return Stream.of(Files.readAllBytes(TestResources.path("peft-made/base/tokenizer.json")));
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "5s")
    void tokenizerJson(byte[] data) throws IOException {
        Files.write(file, data);
        try (ClinicalTokenizer t = ClinicalTokenizer.load(file)) {
            long[] ids = t.encode(TEXT, true);
            t.encodeBatch(List.of(TEXT, " ", "x"), false);
            t.decode(ids);
        } catch (IllegalArgumentException e) {
            Refusals.requireClear(e);
        }
    }
}
