package org.clinlora.model.llama;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.clinlora.model.io.HfModelDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.text.BpeTokenizerBuilder;
import org.clinlora.model.text.SampleClinicalText;

/**
 * Small random LLaMA models in Hugging Face layout, for tests, demos and benchmarks: config.json, model.safetensors
 * and a tokenizer.json learned from generated clinical text. Weights are normal(0, initializer_range) as Hugging
 * Face initialises them, norms one, all from a seeded generator.
 */
public final class TinyLlama {

    public record Spec(int vocab, int hidden, int layers, int heads, int kvHeads, int intermediate,
                       int maxPositions, boolean tieWordEmbeddings, long seed) {
        public Spec {
            if (vocab <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || intermediate <= 0 || maxPositions <= 0) {
                throw new IllegalArgumentException("model dimensions must be positive");
            }
            if (hidden % heads != 0) throw new IllegalArgumentException("--hidden (" + hidden + ") must be divisible by --heads (" + heads + ")");
            if (heads % kvHeads != 0) throw new IllegalArgumentException("--heads (" + heads + ") must be a multiple of --kv-heads (" + kvHeads + ")");
            if ((hidden / heads) % 2 != 0) throw new IllegalArgumentException("head size hidden/heads must be even for rotary embeddings");
        }

        /** LLaMA's feed-forward width: 2/3 of 4·hidden, rounded up to a multiple of 16. */
        public static int defaultIntermediate(int hidden) {
            int ffn = 2 * 4 * hidden / 3;
            return (ffn + 15) / 16 * 16;
        }
    }

    private TinyLlama() {}

    /** Writes the model directory; returns its config. */
    public static LlamaConfig write(Path dir, Spec s) throws IOException {
        BpeTokenizerBuilder bpe = new BpeTokenizerBuilder();
        for (int i = 0; i < 64; i++) bpe.add(SampleClinicalText.generate(s.seed() * 1000 + i, 40));
        // Also the synthetic corpus's own notes, as a real tokenizer has seen clinical words: with vocab >= 2000 most of
        // its words become single pieces and an admission note fits the paper's 128 tokens.
        for (org.clinlora.model.data.SyntheticCorpus.Admission a : new org.clinlora.model.data.SyntheticCorpus(
                new org.clinlora.model.data.SyntheticCorpus.Settings(120, 0.5, s.seed() + 17)).admissions()) {
            bpe.add(a.dischargeSummary());
            a.radiology().forEach(bpe::add);
        }
        BpeTokenizerBuilder.Result tok = bpe.build(s.vocab());
        LlamaConfig config = new LlamaConfig(s.vocab(), s.hidden(), s.intermediate(), s.layers(), s.heads(), s.kvHeads(),
                s.hidden() / s.heads(), 1e-6, 10000.0, null, s.maxPositions(), s.tieWordEmbeddings(),
                BpeTokenizerBuilder.PAD_ID, BpeTokenizerBuilder.BOS_ID, BpeTokenizerBuilder.EOS_ID, "float32", 0.02);

        Map<String, SafeTensors.Tensor> w = new LinkedHashMap<>();
        int h = s.hidden(), hd = s.hidden() / s.heads(), kv = s.kvHeads() * hd, ffn = s.intermediate();
        normal(w, "model.embed_tokens.weight", s.seed(), s.vocab(), h);
        for (int i = 0; i < s.layers(); i++) {
            String p = "model.layers." + i + ".";
            normal(w, p + "self_attn.q_proj.weight", s.seed(), h, h);
            normal(w, p + "self_attn.k_proj.weight", s.seed(), kv, h);
            normal(w, p + "self_attn.v_proj.weight", s.seed(), kv, h);
            normal(w, p + "self_attn.o_proj.weight", s.seed(), h, h);
            normal(w, p + "mlp.gate_proj.weight", s.seed(), ffn, h);
            normal(w, p + "mlp.up_proj.weight", s.seed(), ffn, h);
            normal(w, p + "mlp.down_proj.weight", s.seed(), h, ffn);
            ones(w, p + "input_layernorm.weight", h);
            ones(w, p + "post_attention_layernorm.weight", h);
        }
        ones(w, "model.norm.weight", h);
        if (!s.tieWordEmbeddings()) normal(w, "lm_head.weight", s.seed(), s.vocab(), h);
        HfModelDir.write(dir, config, w, 2L << 30);
        BpeTokenizerBuilder.write(tok, dir, s.maxPositions());
        return config;
    }

    private static void normal(Map<String, SafeTensors.Tensor> w, String name, long seed, int rows, int cols) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.02);
        w.put(name, SafeTensors.Tensor.f32(new long[] {rows, cols}, v));
    }

    private static void ones(Map<String, SafeTensors.Tensor> w, String name, int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        w.put(name, SafeTensors.Tensor.f32(new long[] {n}, v));
    }
}
