package org.clinlora.model.bert;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a Hugging Face BERT checkpoint must hold for its config.json, by name (with the {@code bert.} prefix) and shape;
 * the classifier is optional (a pre-trained encoder has none). Checked before anything is loaded, and by the registry
 * on a pushed model's safetensors headers.
 */
public final class BertCheckpoint {
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

    /** Every expected tensor with its shape, an optional classifier [labels, hidden] + [labels], nothing else. */
    public static void check(BertConfig config, Map<String, long[]> actual) {
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
            if (!expected.containsKey(name) && !name.startsWith("classifier.")) {
                throw new IllegalArgumentException(
                        "checkpoint has an unexpected tensor '" + name + "' for a BERT model");
            }
        }
    }
}
