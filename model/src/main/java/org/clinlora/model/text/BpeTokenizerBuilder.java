package org.clinlora.model.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Learns a LLaMA-style tokenizer from text and writes it as a Hugging Face {@code tokenizer.json}: a BPE model with
 * {@code byte_fallback} (the 256 {@code <0xNN>} pieces cover any byte the merges do not), spaces turned into the
 * {@code ▁} word marker and one prepended, {@code <s>} added in front of each sequence. Ids 0–3 are {@code <unk> <s>
 * </s> <pad>}; then the byte pieces, the single characters seen, and the learned merges in order.
 *
 * <p>Merges are learned on word types (each word starts with {@code ▁}), most frequent pair first, ties broken by the
 * pair's text, so the same text and size always give the same tokenizer.
 */
public final class BpeTokenizerBuilder {

    public static final String UNK = "<unk>", BOS = "<s>", EOS = "</s>", PAD = "<pad>";
    public static final int UNK_ID = 0, BOS_ID = 1, EOS_ID = 2, PAD_ID = 3;
    public static final char WORD_MARK = '\u2581';
    private static final int FIRST_BYTE_ID = 4;

    private final Map<String, Integer> wordCounts = new HashMap<>();
    private final Map<Character, Integer> charCounts = new HashMap<>();

    /** Adds text to learn from. */
    public BpeTokenizerBuilder add(String text) {
        for (String w : text.split(" ")) {
            if (w.isEmpty()) continue;
            String word = WORD_MARK + w;
            wordCounts.merge(word, 1, Integer::sum);
            for (char c : word.toCharArray()) charCounts.merge(c, 1, Integer::sum);
        }
        return this;
    }

    /** The smallest vocabulary this text allows: 4 specials, 256 byte pieces and the characters seen. */
    public int minimumVocabSize() {
        return FIRST_BYTE_ID + 256 + charCounts.size();
    }

    public record Result(LinkedHashMap<String, Integer> vocab, List<String[]> merges) {
        public int size() {
            return vocab.size();
        }
    }

    /** Learns merges until the vocabulary holds {@code vocabSize} pieces or no pair repeats. */
    public Result build(int vocabSize) {
        if (vocabSize < minimumVocabSize()) {
            throw new IllegalArgumentException(
                    "vocabulary size " + vocabSize + " is below the minimum " + minimumVocabSize()
                            + " (4 special tokens + 256 byte pieces + " + charCounts.size() + " characters)");
        }
        LinkedHashMap<String, Integer> vocab = new LinkedHashMap<>();
        for (String s : List.of(UNK, BOS, EOS, PAD)) vocab.put(s, vocab.size());
        for (int b = 0; b < 256; b++) vocab.put(String.format("<0x%02X>", b), vocab.size());
        new TreeMap<>(charCounts).keySet().forEach(c -> vocab.putIfAbsent(String.valueOf(c), vocab.size()));

        List<String> symbols = new ArrayList<>(vocab.keySet());
        Map<String, Integer> symbolId = new HashMap<>(vocab);
        List<int[]> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        new TreeMap<>(wordCounts).forEach((w, n) -> {
            int[] ids = new int[w.length()];
            for (int i = 0; i < ids.length; i++) ids[i] = symbolId.get(String.valueOf(w.charAt(i)));
            words.add(ids);
            counts.add(n);
        });

        List<String[]> merges = new ArrayList<>();
        while (vocab.size() < vocabSize) {
            Map<Long, Integer> pairs = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                int[] ids = words.get(w);
                for (int i = 0; i + 1 < ids.length; i++)
                    pairs.merge(((long) ids[i] << 32) | ids[i + 1], counts.get(w), Integer::sum);
            }
            long best = -1;
            int bestCount = 1; // a pair seen once is not worth a token
            String bestText = null;
            for (Map.Entry<Long, Integer> e : pairs.entrySet()) {
                int n = e.getValue();
                if (n < bestCount) continue;
                String text = symbols.get((int) (e.getKey() >>> 32)) + " " + symbols.get((int) (long) e.getKey());
                if (n > bestCount || bestText == null || text.compareTo(bestText) < 0) {
                    best = e.getKey();
                    bestCount = n;
                    bestText = text;
                }
            }
            if (best < 0) break;
            int left = (int) (best >>> 32), right = (int) best;
            String merged = symbols.get(left) + symbols.get(right);
            merges.add(new String[] {symbols.get(left), symbols.get(right)});
            int id;
            if (symbolId.containsKey(merged)) {
                id = symbolId.get(merged);
            } else {
                id = symbols.size();
                symbols.add(merged);
                symbolId.put(merged, id);
                vocab.put(merged, id);
            }
            for (int w = 0; w < words.size(); w++) words.set(w, replacePair(words.get(w), left, right, id));
        }
        return new Result(vocab, merges);
    }

    private static int[] replacePair(int[] ids, int left, int right, int merged) {
        int[] out = null;
        int n = 0;
        for (int i = 0; i < ids.length; i++) {
            if (i + 1 < ids.length && ids[i] == left && ids[i + 1] == right) {
                if (out == null) {
                    out = new int[ids.length];
                    System.arraycopy(ids, 0, out, 0, i);
                    n = i;
                }
                out[n++] = merged;
                i++;
            } else if (out != null) {
                out[n++] = ids[i];
            }
        }
        return out == null ? ids : Arrays.copyOf(out, n);
    }

    /** Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into {@code dir}. */
    public static void write(Result r, Path dir, int modelMaxLength) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (String t : List.of(UNK, BOS, EOS, PAD)) specials.put(t, r.vocab().get(t));
        ObjectNode root = TokenizerJson.root(json, specials);
        ArrayNode norms = root.putObject("normalizer").put("type", "Sequence").putArray("normalizers");
        norms.addObject().put("type", "Prepend").put("prepend", String.valueOf(WORD_MARK));
        ObjectNode replace = norms.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", String.valueOf(WORD_MARK));
        root.putNull("pre_tokenizer");
        putPostProcessor(root);
        ArrayNode decoders = root.putObject("decoder").put("type", "Sequence").putArray("decoders");
        ObjectNode dr = decoders.addObject().put("type", "Replace");
        dr.putObject("pattern").put("String", String.valueOf(WORD_MARK));
        dr.put("content", " ");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        decoders.addObject()
                .put("type", "Strip")
                .put("content", " ")
                .put("start", 1)
                .put("stop", 0);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        model.put("unk_token", UNK).putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true).put("byte_fallback", true);
        ObjectNode vocab = model.putObject("vocab");
        r.vocab().forEach(vocab::put);
        ArrayNode merges = model.putArray("merges");
        for (String[] m : r.merges()) merges.add(m[0] + " " + m[1]);
        Files.createDirectories(dir);
        Files.write(
                dir.resolve("tokenizer.json"),
                json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));

        writeTokenizerConfigs(json, dir, modelMaxLength);
    }

    /** LLaMA's template: {@code <s>} before every sequence, no {@code </s>}. */
    private static void putPostProcessor(ObjectNode root) {
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = post.putObject("special_tokens").putObject(BOS);
        bos.put("id", BOS);
        bos.putArray("ids").add(BOS_ID);
        bos.putArray("tokens").add(BOS);
    }

    /** tokenizer_config.json and special_tokens_map.json, as transformers writes them for a LLaMA tokenizer. */
    private static void writeTokenizerConfigs(ObjectMapper json, Path dir, int modelMaxLength) throws IOException {
        ObjectNode cfg = json.createObjectNode();
        cfg.put("tokenizer_class", "PreTrainedTokenizerFast");
        cfg.put("bos_token", BOS).put("eos_token", EOS).put("unk_token", UNK).put("pad_token", PAD);
        cfg.put("add_bos_token", true).put("add_eos_token", false);
        cfg.put("model_max_length", modelMaxLength).put("padding_side", "right");
        Files.write(
                dir.resolve("tokenizer_config.json"),
                json.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg));
        ObjectNode special = json.createObjectNode();
        special.put("bos_token", BOS)
                .put("eos_token", EOS)
                .put("unk_token", UNK)
                .put("pad_token", PAD);
        Files.write(
                dir.resolve("special_tokens_map.json"),
                json.writerWithDefaultPrettyPrinter().writeValueAsBytes(special));
    }
}
