package org.clinlora.model.llama;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What a Hugging Face LLaMA checkpoint must hold for its config.json: every tensor by name with the shape the config
 * implies. {@link LlamaModel#load} checks a directory with it before loading anything, and registry-svc checks a pushed
 * model's safetensors headers with it, so a model the registry accepts is one the model library loads.
 */
public final class LlamaCheckpoint {
    /** q, k, v, o, gate, up, down and the two RMSNorms of a decoder layer. */
    static final int TENSORS_PER_LAYER = 9;

    private LlamaCheckpoint() {}

    /**
     * The tensors a LLaMA checkpoint must hold for {@code config}, by Hugging Face name, with their shapes (-1: any
     * size; the score head's label count). {@code lm_head.weight} unless embeddings are tied or the checkpoint is a
     * sequence-classification export ({@code score.weight}).
     */
    public static Map<String, long[]> expectedTensors(LlamaConfig config, Set<String> present) {
        long h = config.hiddenSize(), q = (long) config.numAttentionHeads() * config.headDim();
        long kv = (long) config.numKeyValueHeads() * config.headDim(),
                ffn = config.intermediateSize(),
                v = config.vocabSize();
        Map<String, long[]> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", new long[] {v, h});
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            out.put(p + "self_attn.q_proj.weight", new long[] {q, h});
            out.put(p + "self_attn.k_proj.weight", new long[] {kv, h});
            out.put(p + "self_attn.v_proj.weight", new long[] {kv, h});
            out.put(p + "self_attn.o_proj.weight", new long[] {h, q});
            out.put(p + "mlp.gate_proj.weight", new long[] {ffn, h});
            out.put(p + "mlp.up_proj.weight", new long[] {ffn, h});
            out.put(p + "mlp.down_proj.weight", new long[] {h, ffn});
            out.put(p + "input_layernorm.weight", new long[] {h});
            out.put(p + "post_attention_layernorm.weight", new long[] {h});
        }
        out.put("model.norm.weight", new long[] {h});
        if (!config.tieWordEmbeddings()) {
            if (present.contains("lm_head.weight") || !present.contains("score.weight"))
                out.put("lm_head.weight", new long[] {v, h});
        }
        if (present.contains("score.weight")) out.put("score.weight", new long[] {-1, h});
        return out;
    }

    /**
     * Checks a checkpoint's tensor shapes against config.json before anything is loaded: every expected tensor present
     * with its shape, nothing else (rotary caches and a tied lm_head aside). The registry runs the same check on a
     * pushed model's safetensors headers before the model exists.
     */
    public static void check(LlamaConfig config, Map<String, long[]> actual) {
        // num_hidden_layers is a size config.json declares: weigh it against the tensors there are before listing
        // the expected ones (a layer count of 2^31 - 1 would list 19 billion names, in memory).
        long needed = (long) TENSORS_PER_LAYER * config.numHiddenLayers() + 2;
        if (actual.size() < needed) {
            throw new IllegalArgumentException("checkpoint holds " + actual.size() + " tensors but config.json's "
                    + config.numHiddenLayers() + " layers need at least " + needed);
        }
        Map<String, long[]> expected = expectedTensors(config, actual.keySet());
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            long[] got = actual.get(e.getKey());
            if (got == null) {
                throw new IllegalArgumentException(
                        e.getKey().equals("lm_head.weight")
                                ? "checkpoint has no lm_head.weight and tie_word_embeddings is false"
                                : "checkpoint lacks tensor '" + e.getKey() + "'");
            }
            long[] want = e.getValue();
            boolean ok = got.length == want.length;
            for (int i = 0; ok && i < want.length; i++) ok = want[i] < 0 || want[i] == got[i];
            if (!ok) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "' has shape " + Arrays.toString(got)
                        + " but config.json implies " + Arrays.toString(want));
            }
        }
        for (String name : actual.keySet()) {
            if (!expected.containsKey(name)
                    && !name.endsWith("rotary_emb.inv_freq")
                    && !(name.equals("lm_head.weight") && config.tieWordEmbeddings())) {
                throw new IllegalArgumentException(
                        "checkpoint has an unexpected tensor '" + name + "' for a LLaMA model");
            }
        }
    }
}
