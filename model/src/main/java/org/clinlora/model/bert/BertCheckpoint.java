package org.clinlora.model.bert;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a Hugging Face BERT checkpoint must hold for its config.json, by name (with the {@code bert.} prefix) and shape;
 * the classifier is optional (a pre-trained encoder has none). Checked before anything is loaded, and by the registry
 * on a pushed model's safetensors headers.
 *
 * <p><b>UmlsBERT.</b> Michalopoulos et al.'s UmlsBERT (NAACL 2021) adds a semantic-type embedding to BERT's input:
 * {@code bert.embeddings.tui_type_embeddings.weight} [{@code tui_size} (44), hidden], one row per UMLS semantic type
 * (TUI) plus row 0 for "none", which its forward keeps at zero. Its {@code tui_ids} are looked up per token from a
 * table derived from UMLS (its {@code vocab_updated.txt}); a tokenizer does not produce them and this project does not
 * ship UMLS. Such a checkpoint is refused, naming the tensors, unless the JVM runs with
 * {@code -D}{@value #IGNORE_SEMANTIC_TYPES}{@code =true}: then they are ignored, as transformers'
 * {@code BertForSequenceClassification.from_pretrained} ignores them as unexpected keys (what a stock-transformers
 * fine-tuning of UmlsBERT does). Every token then adds UmlsBERT's zero row, so the encoder computes exactly UmlsBERT
 * run without semantic types — a plain BERT with its weights.
 */
public final class BertCheckpoint {
    /**
     * The system property ({@code true}/{@code false}, default false) that lets UmlsBERT's semantic-type embeddings be
     * ignored instead of refused.
     */
    public static final String IGNORE_SEMANTIC_TYPES = "clinlora.bert.ignoreSemanticTypeEmbeddings";

    /** Where UmlsBERT's semantic-type embeddings sit (its {@code tui_type_embeddings}, or {@code _zero} variant). */
    private static final String SEMANTIC_TYPES_PREFIX = "bert.embeddings.tui_type_embeddings";

    /** Weight and bias of query, key, value, attention output, intermediate and output, and of both LayerNorms. */
    static final int TENSORS_PER_LAYER = 16;

    private BertCheckpoint() {}

    /**
     * The checkpoint's tensors under the names of a BertForSequenceClassification save: a bare BertModel's names get
     * the {@code bert.} prefix; pre-training heads ({@code cls.*}) and the {@code position_ids} buffer are dropped, as
     * Hugging Face drops them when it loads a sequence classifier.
     */
    public static Map<String, long[]> canonicalNames(Map<String, long[]> shapes) {
        boolean prefixed = shapes.containsKey("bert.embeddings.word_embeddings.weight");
        Map<String, long[]> out = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> {
            if (name.startsWith("cls.") || name.endsWith("embeddings.position_ids")) return;
            out.put(prefixed || name.startsWith("classifier.") ? name : "bert." + name, shape);
        });
        return out;
    }

    /** The name a canonical tensor name has in the checkpoint itself. */
    static String storedName(String canonical, boolean prefixed) {
        return prefixed || !canonical.startsWith("bert.") ? canonical : canonical.substring("bert.".length());
    }

    public static Map<String, long[]> expectedTensors(BertConfig c) {
        long h = c.hiddenSize(), ffn = c.intermediateSize();
        Map<String, long[]> out = new LinkedHashMap<>();
        out.put("bert.embeddings.word_embeddings.weight", new long[] {c.vocabSize(), h});
        out.put("bert.embeddings.position_embeddings.weight", new long[] {c.maxPositionEmbeddings(), h});
        out.put("bert.embeddings.token_type_embeddings.weight", new long[] {c.typeVocabSize(), h});
        out.put("bert.embeddings.LayerNorm.weight", new long[] {h});
        out.put("bert.embeddings.LayerNorm.bias", new long[] {h});
        c.projectionShapes().forEach((module, outIn) -> {
            out.put(module + ".weight", outIn);
            out.put(module + ".bias", new long[] {outIn[0]});
        });
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            for (String ln : new String[] {"attention.output.LayerNorm", "output.LayerNorm"}) {
                out.put(BertModel.LAYER_PREFIX + i + "." + ln + ".weight", new long[] {h});
                out.put(BertModel.LAYER_PREFIX + i + "." + ln + ".bias", new long[] {h});
            }
        }
        return out;
    }

    /**
     * UmlsBERT's semantic-type embedding tensors among the checkpoint's (canonical) names, in order; empty for any
     * other BERT.
     */
    public static List<String> semanticTypeEmbeddings(Map<String, long[]> canonical) {
        return canonical.keySet().stream()
                .filter(n -> n.startsWith(SEMANTIC_TYPES_PREFIX))
                .toList();
    }

    /** Whether this JVM ignores UmlsBERT's semantic-type embeddings ({@value #IGNORE_SEMANTIC_TYPES}). */
    public static boolean ignoresSemanticTypes() {
        return Boolean.getBoolean(IGNORE_SEMANTIC_TYPES);
    }

    /**
     * Every expected tensor with its shape, an optional classifier [labels, hidden] + [labels], nothing else;
     * UmlsBERT's semantic-type embeddings only when {@link #ignoresSemanticTypes()}.
     */
    public static void check(BertConfig config, Map<String, long[]> actual) {
        check(config, actual, ignoresSemanticTypes());
    }

    /** The same with the UmlsBERT choice given: {@code ignoreSemanticTypes} lets its semantic-type embeddings pass. */
    public static void check(BertConfig config, Map<String, long[]> actual, boolean ignoreSemanticTypes) {
        List<String> semanticTypes = semanticTypeEmbeddings(actual);
        if (!semanticTypes.isEmpty() && !ignoreSemanticTypes) {
            throw new IllegalArgumentException(refusal(semanticTypes, actual));
        }
        // num_hidden_layers is a size config.json declares: weigh it against the tensors there are before listing
        // the expected ones (a layer count of 2^31 - 1 would list 34 billion names, in memory).
        long needed = (long) TENSORS_PER_LAYER * config.numHiddenLayers() + 7;
        if (actual.size() < needed) {
            throw new IllegalArgumentException("checkpoint holds " + actual.size() + " tensors but config.json's "
                    + config.numHiddenLayers() + " layers need at least " + needed);
        }
        Map<String, long[]> expected = expectedTensors(config);
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            long[] got = actual.get(e.getKey());
            if (got == null) throw new IllegalArgumentException("checkpoint lacks tensor '" + e.getKey() + "'");
            if (!Arrays.equals(got, e.getValue())) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "' has shape " + Arrays.toString(got)
                        + " but config.json implies " + Arrays.toString(e.getValue()));
            }
        }
        long[] w = actual.get("classifier.weight"), b = actual.get("classifier.bias");
        if ((w == null) != (b == null))
            throw new IllegalArgumentException(
                    "checkpoint has one of classifier.weight and classifier.bias but not both");
        if (w != null && (w.length != 2 || w[1] != config.hiddenSize() || b.length != 1 || b[0] != w[0])) {
            throw new IllegalArgumentException("classifier has shapes " + Arrays.toString(w) + " / "
                    + Arrays.toString(b) + ", expected [labels, " + config.hiddenSize() + "] / [labels]");
        }
        for (String name : actual.keySet()) {
            if (!expected.containsKey(name) && !name.startsWith("classifier.") && !semanticTypes.contains(name)) {
                throw new IllegalArgumentException(
                        "checkpoint has an unexpected tensor '" + name + "' for a BERT model");
            }
        }
    }

    private static String refusal(List<String> semanticTypes, Map<String, long[]> actual) {
        StringBuilder named = new StringBuilder();
        for (String n : semanticTypes) {
            if (named.length() > 0) named.append(", ");
            named.append(n).append(' ').append(Arrays.toString(actual.get(n)));
        }
        return "checkpoint is a UmlsBERT with semantic-type embeddings (" + named
                + "): its forward adds one per token, indexed by the token's UMLS semantic type (tui_ids), which"
                + " a tokenizer does not produce and this project does not ship (UMLS is licensed separately); run"
                + " with -D" + IGNORE_SEMANTIC_TYPES + "=true to ignore them as transformers' from_pretrained does"
                + " (every token then gets UmlsBERT's all-zero 'no semantic type' row)";
    }
}
