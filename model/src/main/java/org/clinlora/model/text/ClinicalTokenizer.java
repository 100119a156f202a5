package org.clinlora.model.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A base model's own {@code tokenizer.json} through DJL's Hugging Face tokenizers (native, bundled in the jar).
 * Truncation and padding are off: callers decide how to pack or pad, and DJL's defaults (truncate to 512, pad batches)
 * would silently change the data.
 */
public final class ClinicalTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;

    private ClinicalTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Loads {@code tokenizer.json} from a model directory (or the file itself). */
    public static ClinicalTokenizer load(Path modelDirOrFile) throws IOException {
        Path file = Files.isDirectory(modelDirOrFile) ? modelDirOrFile.resolve("tokenizer.json") : modelDirOrFile;
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(modelDirOrFile + ": no tokenizer.json");
        HuggingFaceTokenizer t = HuggingFaceTokenizer.builder()
                .optTokenizerPath(file)
                .optTruncation(false)
                .optPadding(false)
                .optAddSpecialTokens(false)
                .build();
        return new ClinicalTokenizer(t);
    }

    /**
     * Token ids of {@code text}, with the tokenizer's special tokens (LLaMA: a leading {@code <s>}) when asked. Only
     * the ids cross from the native tokenizer (DJL's {@code Encoding} would also copy tokens, offsets and masks).
     */
    public long[] encode(String text, boolean addSpecialTokens) {
        long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, addSpecialTokens);
        try {
            return TokenizersLibrary.LIB.getTokenIds(encoding);
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(encoding);
        }
    }

    /**
     * The ids of several texts in one native call, encoded in parallel by the Rust tokenizers (the same ids as
     * {@link #encode} one by one, in the same order).
     */
    public long[][] encodeBatch(List<String> texts, boolean addSpecialTokens) {
        if (texts.isEmpty()) return new long[0][];
        long[] encodings = TokenizersLibrary.LIB.batchEncode(
                tokenizer.getHandle(), texts.toArray(String[]::new), addSpecialTokens);
        long[][] out = new long[encodings.length][];
        try {
            for (int i = 0; i < encodings.length; i++) out[i] = TokenizersLibrary.LIB.getTokenIds(encodings[i]);
        } finally {
            for (long e : encodings) TokenizersLibrary.LIB.deleteEncoding(e);
        }
        return out;
    }

    /**
     * The id of one token of the vocabulary (a special token such as BERT's {@code [CLS]}); refused if it is not one
     * token.
     */
    public int tokenId(String token) {
        long[] ids = encode(token, false);
        if (ids.length != 1) throw new IllegalArgumentException("tokenizer.json has no single token '" + token + "'");
        return Math.toIntExact(ids[0]);
    }

    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
