package org.clinlora.model.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * A small uncased WordPiece vocabulary learned from sample text, written as the {@code tokenizer.json} of a BERT
 * (BertNormalizer with lowercasing, BertPreTokenizer, WordPiece with {@code ##} continuations, {@code [CLS] A [SEP]}):
 * the five special tokens, every character seen (alone and as a {@code ##} continuation, so no word is ever [UNK]),
 * then the most frequent words. For tiny test models; real BERT checkpoints bring their own tokenizer.json.
 */
public final class WordPieceTokenizerBuilder {
    public static final List<String> SPECIALS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
    public static final int PAD_ID = 0, CLS_ID = 2, SEP_ID = 3;

    private final Map<String, Integer> words = new HashMap<>();
    private final TreeSet<String> chars = new TreeSet<>();

    /**
     * Counts the words of {@code text} as BERT's pre-tokenizer splits them (lowercased; runs of letters/digits,
     * punctuation alone).
     */
    public WordPieceTokenizerBuilder add(String text) {
        StringBuilder w = new StringBuilder();
        for (char c : text.toLowerCase(Locale.ROOT).toCharArray()) {
            if (Character.isLetterOrDigit(c)) {
                w.append(c);
                chars.add(String.valueOf(c));
                continue;
            }
            if (w.length() > 0) words.merge(w.toString(), 1, Integer::sum);
            w.setLength(0);
            if (!Character.isWhitespace(c)) chars.add(String.valueOf(c));
        }
        if (w.length() > 0) words.merge(w.toString(), 1, Integer::sum);
        return this;
    }

    /**
     * The vocabulary, ids in order: specials, characters, ##characters, then words by frequency up to
     * {@code vocabSize}.
     */
    public LinkedHashMap<String, Integer> build(int vocabSize) {
        LinkedHashMap<String, Integer> vocab = new LinkedHashMap<>();
        for (String s : SPECIALS) vocab.put(s, vocab.size());
        for (String c : chars) vocab.put(c, vocab.size());
        for (String c : chars) if (Character.isLetterOrDigit(c.charAt(0))) vocab.put("##" + c, vocab.size());
        if (vocab.size() > vocabSize) {
            throw new IllegalArgumentException("vocab size " + vocabSize + " is smaller than the " + vocab.size()
                    + " specials and characters of the text");
        }
        words.entrySet().stream()
                .filter(e -> e.getKey().length() > 1)
                .sorted(Map.Entry.<String, Integer>comparingByValue()
                        .reversed()
                        .thenComparing(Map.Entry.comparingByKey()))
                .limit(vocabSize - vocab.size())
                .forEach(e -> vocab.put(e.getKey(), vocab.size()));
        return vocab;
    }

    /** Writes tokenizer.json (and tokenizer_config.json) into {@code dir}. */
    public static void write(Map<String, Integer> vocab, Path dir, int modelMaxLength) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (String t : SPECIALS) specials.put(t, vocab.get(t));
        ObjectNode root = TokenizerJson.root(json, specials);
        root.putObject("normalizer")
                .put("type", "BertNormalizer")
                .put("clean_text", true)
                .put("handle_chinese_chars", true)
                .putNull("strip_accents")
                .put("lowercase", true);
        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "[CLS]").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        single.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "[CLS]").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        pair.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 1);
        ObjectNode postSpecials = post.putObject("special_tokens");
        for (String s : List.of("[CLS]", "[SEP]")) {
            ObjectNode t = postSpecials.putObject(s).put("id", s);
            t.putArray("ids").add(vocab.get(s));
            t.putArray("tokens").add(s);
        }
        root.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
        ObjectNode model = root.putObject("model")
                .put("type", "WordPiece")
                .put("unk_token", "[UNK]")
                .put("continuing_subword_prefix", "##")
                .put("max_input_chars_per_word", 100);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        Files.createDirectories(dir);
        Files.write(
                dir.resolve("tokenizer.json"),
                json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        ObjectNode cfg = json.createObjectNode();
        cfg.put("tokenizer_class", "BertTokenizerFast").put("do_lower_case", true);
        cfg.put("cls_token", "[CLS]")
                .put("sep_token", "[SEP]")
                .put("pad_token", "[PAD]")
                .put("unk_token", "[UNK]")
                .put("mask_token", "[MASK]");
        cfg.put("model_max_length", modelMaxLength).put("padding_side", "right");
        Files.write(
                dir.resolve("tokenizer_config.json"),
                json.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg));
    }
}
