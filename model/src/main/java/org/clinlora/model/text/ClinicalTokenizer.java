package org.clinlora.model.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A base model's own {@code tokenizer.json} through DJL's Hugging Face tokenizers (native, bundled in the jar).
 * Truncation and padding are off: callers decide how to pack or pad, and DJL's defaults (truncate to 512, pad batches)
 * would silently change the data.
 *
 * <p>Loading warns once per file on stderr when the normalizer lowercases text but the vocabulary is cased (more than
 * {@link #CASED_SHARE} of its non-{@code [XXX]} entries hold an upper-case letter): a cased model such as
 * Bio_ClinicalBERT whose tokenizer.json was converted with {@code do_lower_case} on, so its cased tokens never occur
 * and words split differently from its pre-training.
 */
public final class ClinicalTokenizer implements AutoCloseable {
    /** The share of upper-case vocabulary entries above which a vocabulary is cased (uncased ones hold ~0.01%). */
    public static final double CASED_SHARE = 0.01;

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Bracketed specials ({@code [PAD]}, {@code [unused12]}): upper case by convention, not cased text. */
    private static final Pattern BRACKETED = Pattern.compile("\\[[^\\[\\]]+]");
    /** The files already warned about (a scorer or the tokenizer service reload a tokenizer). */
    private static final Set<Path> WARNED = ConcurrentHashMap.newKeySet();

    private final HuggingFaceTokenizer tokenizer;
    /** Word-by-word encoding with a word cache, for LLaMA-style tokenizers; null for others. */
    private final MetaspaceWords words;

    private ClinicalTokenizer(HuggingFaceTokenizer tokenizer, MetaspaceWords words) {
        this.tokenizer = tokenizer;
        this.words = words;
    }

    /**
     * Loads {@code tokenizer.json} from a model directory (or the file itself); a LLaMA-style one encodes word by word
     * through a word cache.
     */
    public static ClinicalTokenizer load(Path modelDirOrFile) throws IOException {
        return load(modelDirOrFile, true);
    }

    /** As {@link #load(Path)}; {@code cacheWords} off always runs the native tokenizer over whole texts (benches). */
    public static ClinicalTokenizer load(Path modelDirOrFile, boolean cacheWords) throws IOException {
        Path file = Files.isDirectory(modelDirOrFile) ? modelDirOrFile.resolve("tokenizer.json") : modelDirOrFile;
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(modelDirOrFile + ": no tokenizer.json");
        HuggingFaceTokenizer t = nativeTokenizer(file);
        try {
            warnIfLowercasingCasedVocabulary(file);
            MetaspaceWords words = cacheWords
                    ? MetaspaceWords.forTokenizer(
                            file, texts -> nativeBatch(t, texts, false), nativeEncode(t, "a", true))
                    : null;
            return new ClinicalTokenizer(t, words);
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
    }

    /**
     * The native tokenizer of {@code file}. The tokenizers library refuses a file it cannot read with a bare
     * RuntimeException (its serde message: where and what, e.g. "unknown variant `Foo`"), which becomes an
     * IllegalArgumentException naming the file, as every other bad model file is. JSON that would make it panic (and
     * abort the JVM) is refused before it gets there ({@link TokenizerJsonCheck}).
     */
    private static HuggingFaceTokenizer nativeTokenizer(Path file) throws IOException {
        TokenizerJsonCheck.requireReadable(file);
        try {
            return HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optTruncation(false)
                    .optPadding(false)
                    .optAddSpecialTokens(false)
                    .build();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    file + ": not a tokenizer definition the Hugging Face tokenizers library reads: " + e.getMessage());
        }
    }

    private static void warnIfLowercasingCasedVocabulary(Path file) throws IOException {
        double share = upperCaseShareIfLowercased(file);
        if (share > CASED_SHARE && WARNED.add(file.toAbsolutePath().normalize())) {
            System.err.printf(
                    "clinlora: warning: %s: the normalizer lowercases every text but %.1f%% of the vocabulary has"
                            + " upper-case letters, so those tokens never occur (a cased model converted with"
                            + " do_lower_case on); re-save it keeping the case,"
                            + " BertTokenizerFast.from_pretrained(dir, do_lower_case=False).save_pretrained(dir),"
                            + " or turn the normalizer's lowercasing off (BertNormalizer \"lowercase\": false)%n",
                    file, 100 * share);
        }
    }

    /**
     * Whether {@code tokenizer.json}'s normalizer lowercases text (a {@code BertNormalizer} with {@code lowercase} on,
     * a {@code Lowercase}, or a {@code Sequence} holding one) although its vocabulary is cased (more than
     * {@link #CASED_SHARE} of its entries, bracketed specials aside, hold an upper-case letter).
     */
    public static boolean lowercasesCasedVocabulary(Path tokenizerJson) throws IOException {
        return upperCaseShareIfLowercased(tokenizerJson) > CASED_SHARE;
    }

    /**
     * The vocabulary's share of entries with an upper-case letter when the normalizer lowercases, else 0. Streams the
     * file and stops at a normalizer that keeps the case (Hugging Face writes it before the model), so a LLaMA
     * tokenizer's large vocabulary is never parsed.
     */
    static double upperCaseShareIfLowercased(Path tokenizerJson) throws IOException {
        JsonNode model = null;
        Boolean lowercases = null;
        try (JsonParser p = JSON.createParser(tokenizerJson.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) return 0;
            while (p.nextToken() == JsonToken.FIELD_NAME && (lowercases == null || model == null)) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("normalizer")) {
                    lowercases = lowercases(p.readValueAsTree());
                    if (!lowercases) return 0;
                } else if (field.equals("model")) {
                    model = p.readValueAsTree();
                } else {
                    p.skipChildren();
                }
            }
        }
        return Boolean.TRUE.equals(lowercases) && model != null ? upperCaseShare(model.path("vocab")) : 0;
    }

    private static boolean lowercases(JsonNode normalizer) {
        if (normalizer == null || !normalizer.isObject()) return false;
        return switch (normalizer.path("type").asText()) {
            case "Lowercase" -> true;
            // tokenizers' BertNormalizer lowercases unless told not to.
            case "BertNormalizer" -> normalizer.path("lowercase").asBoolean(true);
            case "Sequence" -> {
                boolean any = false;
                for (JsonNode n : normalizer.path("normalizers")) any |= lowercases(n);
                yield any;
            }
            default -> false;
        };
    }

    /** WordPiece and BPE vocabularies map token → id; Unigram's is a list of [piece, score]. */
    private static double upperCaseShare(JsonNode vocab) {
        List<String> tokens = new ArrayList<>();
        if (vocab.isObject()) vocab.fieldNames().forEachRemaining(tokens::add);
        else for (JsonNode piece : vocab) tokens.add(piece.path(0).asText());
        long entries = 0, upper = 0;
        for (String token : tokens) {
            if (BRACKETED.matcher(token).matches()) continue;
            entries++;
            if (token.chars().anyMatch(Character::isUpperCase)) upper++;
        }
        return entries == 0 ? 0 : (double) upper / entries;
    }

    /**
     * Token ids of {@code text}, with the tokenizer's special tokens (LLaMA: a leading {@code <s>}) when asked. Only
     * the ids cross from the native tokenizer (DJL's {@code Encoding} would also copy tokens, offsets and masks). A
     * LLaMA-style tokenizer encodes word by word through a word cache ({@link MetaspaceWords}), with the same ids.
     */
    public long[] encode(String text, boolean addSpecialTokens) {
        if (words != null) return words.encode(List.of(text), addSpecialTokens)[0];
        return nativeEncode(tokenizer, text, addSpecialTokens);
    }

    private static long[] nativeEncode(HuggingFaceTokenizer tokenizer, String text, boolean addSpecialTokens) {
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
        if (words != null) return words.encode(texts, addSpecialTokens);
        return nativeBatch(tokenizer, texts.toArray(String[]::new), addSpecialTokens);
    }

    private static long[][] nativeBatch(HuggingFaceTokenizer tokenizer, String[] texts, boolean addSpecialTokens) {
        long[] encodings = TokenizersLibrary.LIB.batchEncode(tokenizer.getHandle(), texts, addSpecialTokens);
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

    /** Whether this tokenizer encodes word by word through a word cache (LLaMA-style tokenizers). */
    public boolean cachesWords() {
        return words != null;
    }

    /** The word cache, for tests (null when {@link #cachesWords()} is false). */
    MetaspaceWords wordCache() {
        return words;
    }

    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
