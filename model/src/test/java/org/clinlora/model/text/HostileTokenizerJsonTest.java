package org.clinlora.model.text;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tokenizer.json files the fuzzer (TokenizerJsonFuzzTest) found: each one aborted the JVM (exit 134, a Rust panic
 * in the tokenizers library's decoder reading) or escaped as a bare RuntimeException; now each is refused with an
 * IllegalArgumentException naming the file and the reason, before the native library sees it.
 */
class HostileTokenizerJsonTest {
    /** A working BPE tokenizer.json with {@code DECODER} in place of its decoder. */
    private static final String TOKENIZER = "{\"version\":\"1.0\",\"added_tokens\":[],\"normalizer\":null,"
            + "\"pre_tokenizer\":null,\"post_processor\":null,\"model\":{\"type\":\"BPE\",\"dropout\":null,"
            + "\"unk_token\":null,\"continuing_subword_prefix\":null,\"end_of_word_suffix\":null,\"fuse_unk\":false,"
            + "\"byte_fallback\":false,\"vocab\":{\"a\":0},\"merges\":[]},\"decoder\":DECODER}";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"type\":\"Sequence\", 2: 1}", // a key that is not a string: the fuzzer's first crash
                "{\"type\":\"\\ud800\"}", // a lone surrogate escape
                "{\"type\":\"Fuse\",\"x\":1e400}", // a number beyond a double
            })
    void aDecoderThatMadeTheNativeLibraryPanicIsRefused(String decoder) throws IOException {
        refused(TOKENIZER.replace("DECODER", decoder), "tokenizer.json");
    }

    @Test
    void nestingDeeperThanAnyTokenizerIsRefused() throws IOException {
        refused(TOKENIZER.replace("DECODER", "[".repeat(130) + "]".repeat(130)), "nested");
    }

    @Test
    void anEmptyFileIsRefusedNotANativeRuntimeException() throws IOException {
        refused("", "not a JSON object");
    }

    @Test
    void aFileTheNativeLibraryRefusesIsAnIllegalArgumentException() throws IOException {
        refused(TOKENIZER.replace("DECODER", "{\"type\":\"NoSuchDecoder\"}"), "tokenizers library");
    }

    @Test
    void theWellFormedTokenizerStillLoads() throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, TOKENIZER.replace("DECODER", "{\"type\":\"Fuse\"}"));
        try (ClinicalTokenizer t = ClinicalTokenizer.load(file)) {
            assertTrue(t.encode("a", false).length > 0);
        }
    }

    private void refused(String json, String why) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.write(file, json.getBytes(StandardCharsets.UTF_8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClinicalTokenizer.load(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }
}
