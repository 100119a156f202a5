package org.clinlora.model.text;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Word-by-word encoding, with a cache of each word's ids, for a LLaMA-1/2 style {@code tokenizer.json}: a BPE model
 * behind the normalizer {@code Prepend("▁")} + {@code Replace(" ", "▁")} and no pre-tokenizer. Without a pre-tokenizer
 * the Rust tokenizers run BPE over a whole note as one "word", so their own word cache never hits, and each note pays
 * for every merge again. Clinical notes repeat a few thousand words.
 *
 * <p>The split is exact, not an approximation: a note is cut before every {@code ▁} that follows another character, and
 * this class is only used when no piece of the vocabulary holds a {@code ▁} after another character. Then no merge can
 * join symbols across a cut, and BPE over the whole note (always the lowest-ranked pair first) makes, inside each part,
 * the same merges in the same order as over that part alone. The parts' ids, concatenated, are the note's.
 *
 * <p>Notes holding an added token's text ({@code <s>}) and notes ending in a lone space (which the {@code Prepend}
 * normalizer would not see as a word) go to the native tokenizer whole. Tokenizers whose added tokens are matched after
 * normalisation and hold a space or {@code ▁}, or whose vocabulary has no {@code ▁} piece, keep the native path. The
 * cache is bounded: it starts again empty when a call's new words would take it past {@link #MAX_WORDS}, and words
 * longer than {@link #MAX_WORD_CHARS} are never kept. It holds words only, never a whole note.
 */
final class MetaspaceWords {
    static final char MARK = BpeTokenizerBuilder.WORD_MARK;
    /** At most this many cached words (about 25 MB at clinical word lengths), then the cache starts again. */
    static final int MAX_WORDS = 1 << 17;

    static final int MAX_WORD_CHARS = 48;
    /** A text whose fast ids must equal the native ones before the fast path is trusted (runs of spaces, no BOS). */
    static final String PROBE = "Chief Complaint:  chest pain\n\tx 2 days,   Cr 1.2 ▁ café ☃ x ☃";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Function<String[], long[][]> nativeEncode;
    private final List<String> addedTokens;
    private final long[] prefix, suffix;
    private final ConcurrentHashMap<String, long[]> cache = new ConcurrentHashMap<>();

    private MetaspaceWords(
            Function<String[], long[][]> nativeEncode, List<String> addedTokens, long[] prefix, long[] suffix) {
        this.nativeEncode = nativeEncode;
        this.addedTokens = addedTokens;
        this.prefix = prefix;
        this.suffix = suffix;
    }

    /**
     * Word-by-word encoding for {@code tokenizerJson} when its layout allows it (see the class comment), else null.
     *
     * @param nativeEncode the native tokenizer's batch encode without special tokens
     * @param withSpecials the native ids of "a" with special tokens, to learn what they add around a text
     */
    static MetaspaceWords forTokenizer(
            Path tokenizerJson, Function<String[], long[][]> nativeEncode, long[] withSpecials) throws IOException {
        List<String> added = new ArrayList<>();
        try (JsonParser p = JSON.createParser(tokenizerJson.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            boolean layout = false, model = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "normalizer" -> {
                        if (!isLegacyMetaspace(p.readValueAsTree())) return null;
                        layout = true;
                    }
                    case "pre_tokenizer" -> {
                        if (p.currentToken() != JsonToken.VALUE_NULL) return null;
                    }
                    case "added_tokens" -> {
                        for (JsonNode t : (JsonNode) p.readValueAsTree()) {
                            String content = t.path("content").asText();
                            // Matched in the normalised text, where a space is a ▁: the split could cut it apart.
                            boolean normalized = t.path("normalized").asBoolean(false);
                            if (normalized && (content.indexOf(' ') >= 0 || content.indexOf(MARK) >= 0)) return null;
                            added.add(content);
                        }
                    }
                    case "model" -> {
                        if (!splitsAtMarks(p)) return null;
                        model = true;
                    }
                    default -> p.skipChildren();
                }
            }
            if (!layout || !model) return null;
        }
        long[] plain = nativeEncode.apply(new String[] {"a"})[0];
        int at = indexOf(withSpecials, plain);
        if (at < 0) return null;
        MetaspaceWords words = new MetaspaceWords(
                nativeEncode,
                List.copyOf(added),
                Arrays.copyOfRange(withSpecials, 0, at),
                Arrays.copyOfRange(withSpecials, at + plain.length, withSpecials.length));
        // Insurance against a layout this check did not foresee: the split must agree with the native tokenizer.
        boolean agrees = Arrays.equals(
                words.encode(List.of(PROBE), false)[0], nativeEncode.apply(new String[] {PROBE})[0]);
        words.cache.clear();
        return agrees ? words : null;
    }

    /** LLaMA's legacy normalizer: exactly {@code Sequence[Prepend("▁"), Replace(" " → "▁")]}. */
    private static boolean isLegacyMetaspace(JsonNode n) {
        if (!n.path("type").asText().equals("Sequence")) return false;
        JsonNode steps = n.path("normalizers");
        if (steps.size() != 2) return false;
        JsonNode prepend = steps.get(0), replace = steps.get(1);
        return prepend.path("type").asText().equals("Prepend")
                && prepend.path("prepend").asText().equals(String.valueOf(MARK))
                && replace.path("type").asText().equals("Replace")
                && replace.path("pattern").path("String").asText("").equals(" ")
                && replace.path("content").asText().equals(String.valueOf(MARK));
    }

    /**
     * A plain BPE (no dropout, suffixes or whole-word shortcut) none of whose pieces holds ▁ after a character. Streams
     * the model object: the vocabulary's pieces are read as names and the merges skipped, no tree is built (a LLaMA
     * tokenizer's model holds 32,000 pieces and about 60,000 merges).
     */
    private static boolean splitsAtMarks(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) return false;
        boolean bpe = false, vocab = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "type" -> bpe = p.getText().equals("BPE");
                case "dropout", "continuing_subword_prefix", "end_of_word_suffix" -> {
                    boolean unset = value == JsonToken.VALUE_NULL
                            || value == JsonToken.VALUE_STRING && p.getText().isEmpty();
                    if (!unset) return false;
                }
                case "ignore_merges" -> {
                    if (value == JsonToken.VALUE_TRUE) return false;
                }
                case "vocab" -> {
                    if (value != JsonToken.START_OBJECT) return false;
                    boolean hasMark = false; // without a ▁ piece, an unknown ▁ could fuse with its neighbours
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String piece = p.currentName();
                        if (spansAWordMark(piece)) return false;
                        hasMark |= piece.equals(String.valueOf(MARK));
                        p.nextToken();
                    }
                    vocab = hasMark;
                }
                default -> p.skipChildren();
            }
        }
        return bpe && vocab;
    }

    private static boolean spansAWordMark(String piece) {
        for (int i = 1; i < piece.length(); i++) {
            if (piece.charAt(i) == MARK && piece.charAt(i - 1) != MARK) return true;
        }
        return false;
    }

    private static int indexOf(long[] whole, long[] part) {
        for (int at = 0; at + part.length <= whole.length; at++) {
            if (Arrays.equals(whole, at, at + part.length, part, 0, part.length)) return at;
        }
        return -1;
    }

    /** The texts' ids, each as the native tokenizer would give them; new words are encoded in one native batch. */
    long[][] encode(List<String> texts, boolean addSpecialTokens) {
        List<List<String>> words = new ArrayList<>(texts.size());
        Map<String, long[]> known = new HashMap<>();
        Map<String, Boolean> unknown = new LinkedHashMap<>(); // text → whether it is a word (else a whole text)
        for (String text : texts) {
            List<String> w = split(text);
            words.add(w);
            if (w == null) {
                if (!known.containsKey(text)) unknown.merge(text, false, Boolean::logicalAnd);
                continue;
            }
            for (String word : w) {
                if (known.containsKey(word) || Boolean.TRUE.equals(unknown.get(word))) continue;
                long[] ids = cache.get(word);
                if (ids != null) known.put(word, ids);
                else unknown.put(word, true);
            }
        }
        if (!unknown.isEmpty()) encodeNew(unknown, known);
        long[][] out = new long[texts.size()][];
        for (int i = 0; i < texts.size(); i++) {
            List<String> w = words.get(i);
            out[i] = concat(
                    w == null
                            ? List.of(known.get(texts.get(i)))
                            : w.stream().map(known::get).toList(),
                    addSpecialTokens);
        }
        return out;
    }

    /** Encodes the new texts in one native batch; the words among them (never whole texts) go into the cache. */
    private void encodeNew(Map<String, Boolean> unknown, Map<String, long[]> known) {
        List<String> texts = new ArrayList<>(unknown.keySet());
        long[][] ids = nativeEncode.apply(texts.toArray(String[]::new));
        if (cache.size() + texts.size() > MAX_WORDS) cache.clear();
        for (int i = 0; i < ids.length; i++) {
            String text = texts.get(i);
            known.put(text, ids[i]);
            if (unknown.get(text) && text.length() <= MAX_WORD_CHARS && !text.isEmpty()) cache.put(text, ids[i]);
        }
    }

    /**
     * The text's words as the native tokenizer takes them (a word's ▁ dropped: the normalizer prepends it again), or
     * null when the text must go whole.
     */
    List<String> split(String text) {
        int last = text.length() - 1;
        if (text.isEmpty() || isMark(text, last) && !isMark(text, last - 1)) return null;
        for (String t : addedTokens) if (text.contains(t)) return null;
        List<String> words = new ArrayList<>();
        int start = 0;
        for (int i = 1; i < text.length(); i++) {
            if (isMark(text, i) && !isMark(text, i - 1)) {
                words.add(start == 0 ? text.substring(0, i) : text.substring(start + 1, i));
                start = i;
            }
        }
        words.add(start == 0 ? text : text.substring(start + 1));
        return words;
    }

    private static boolean isMark(String text, int i) {
        if (i < 0) return true; // the ▁ the normalizer prepends
        char c = text.charAt(i);
        return c == ' ' || c == MARK;
    }

    private long[] concat(List<long[]> parts, boolean addSpecialTokens) {
        int n = addSpecialTokens ? prefix.length + suffix.length : 0;
        for (long[] p : parts) n += p.length;
        long[] out = new long[n];
        int at = 0;
        if (addSpecialTokens) {
            System.arraycopy(prefix, 0, out, 0, prefix.length);
            at = prefix.length;
        }
        for (long[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        if (addSpecialTokens) System.arraycopy(suffix, 0, out, at, suffix.length);
        return out;
    }

    /** How many words are cached now. */
    int cachedWords() {
        return cache.size();
    }
}
