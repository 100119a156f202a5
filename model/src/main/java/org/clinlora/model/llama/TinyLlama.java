package org.clinlora.model.llama;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.io.HfModelDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.text.BpeTokenizerBuilder;
import org.clinlora.model.text.SampleClinicalText;

/**
 * Small random LLaMA models in Hugging Face layout, for tests, demos and benchmarks: config.json, model.safetensors and
 * a tokenizer.json learned from generated clinical text. Weights are normal(0, initializer_range) as Hugging Face
 * initialises them, norms one, all from a seeded generator.
 */
public final class TinyLlama {

    public record Spec(
            int vocab,
            int hidden,
            int layers,
            int heads,
            int kvHeads,
            int intermediate,
            int maxPositions,
            boolean tieWordEmbeddings,
            long seed) {
        public Spec {
            if (vocab <= 0
                    || hidden <= 0
                    || layers <= 0
                    || heads <= 0
                    || kvHeads <= 0
                    || intermediate <= 0
                    || maxPositions <= 0) {
                throw new IllegalArgumentException("model dimensions must be positive");
            }
            if (hidden % heads != 0)
                throw new IllegalArgumentException(
                        "--hidden (" + hidden + ") must be divisible by --heads (" + heads + ")");
            if (heads % kvHeads != 0)
                throw new IllegalArgumentException(
                        "--heads (" + heads + ") must be a multiple of --kv-heads (" + kvHeads + ")");
            if ((hidden / heads) % 2 != 0)
                throw new IllegalArgumentException("head size hidden/heads must be even for rotary embeddings");
        }

        /** LLaMA's feed-forward width: 2/3 of 4·hidden, rounded up to a multiple of 16. */
        public static int defaultIntermediate(int hidden) {
            int ffn = 2 * 4 * hidden / 3;
            return (ffn + 15) / 16 * 16;
        }
    }

    private TinyLlama() {}

    /** Writes the model directory in fp32, one file up to 2 GiB; returns its config. */
    public static LlamaConfig write(Path dir, Spec s) throws IOException {
        return write(dir, s, SafeTensors.Dtype.F32, 2L << 30);
    }

    /**
     * Writes the model directory with weights in {@code dtype} (F32 or F16), sharded as {@code save_pretrained} does
     * when larger than {@code maxShardBytes}. Tensors are generated while they are written, one at a time, so a
     * LLaMA-2-7B-shaped checkpoint (13.5 GB in fp16) needs no more memory than a small one. F32 weights are normal(0,
     * 0.02) as Hugging Face initialises them; F16 weights, meant for scale benchmarks, are random halves of the same
     * magnitude drawn straight as bits (generating 6.7 billion Gaussians would take minutes).
     */
    public static LlamaConfig write(Path dir, Spec s, SafeTensors.Dtype dtype, long maxShardBytes) throws IOException {
        if (dtype != SafeTensors.Dtype.F32 && dtype != SafeTensors.Dtype.F16)
            throw new IllegalArgumentException("dtype must be F32 or F16");
        BpeTokenizerBuilder bpe = new BpeTokenizerBuilder();
        for (int i = 0; i < 64; i++) bpe.add(SampleClinicalText.generate(s.seed() * 1000 + i, 40));
        // Also the synthetic corpus's own notes, as a real tokenizer has seen clinical words: with vocab >= 2000 most
        // of
        // its words become single pieces and an admission note fits the paper's 128 tokens.
        for (SyntheticCorpus.Admission a :
                new SyntheticCorpus(new SyntheticCorpus.Settings(120, 0.5, s.seed() + 17)).admissions()) {
            bpe.add(a.dischargeSummary());
            a.radiology().forEach(bpe::add);
        }
        BpeTokenizerBuilder.Result tok = bpe.build(s.vocab());
        LlamaConfig config = new LlamaConfig(
                s.vocab(),
                s.hidden(),
                s.intermediate(),
                s.layers(),
                s.heads(),
                s.kvHeads(),
                s.hidden() / s.heads(),
                1e-6,
                10000.0,
                null,
                s.maxPositions(),
                s.tieWordEmbeddings(),
                BpeTokenizerBuilder.PAD_ID,
                BpeTokenizerBuilder.BOS_ID,
                BpeTokenizerBuilder.EOS_ID,
                dtype == SafeTensors.Dtype.F16 ? "float16" : "float32",
                0.02);

        List<SafeTensors.Planned> w = new ArrayList<>();
        int h = s.hidden(), hd = s.hidden() / s.heads(), kv = s.kvHeads() * hd, ffn = s.intermediate();
        w.add(random(dtype, "model.embed_tokens.weight", s.seed(), s.vocab(), h));
        for (int i = 0; i < s.layers(); i++) {
            String p = "model.layers." + i + ".";
            w.add(random(dtype, p + "self_attn.q_proj.weight", s.seed(), h, h));
            w.add(random(dtype, p + "self_attn.k_proj.weight", s.seed(), kv, h));
            w.add(random(dtype, p + "self_attn.v_proj.weight", s.seed(), kv, h));
            w.add(random(dtype, p + "self_attn.o_proj.weight", s.seed(), h, h));
            w.add(random(dtype, p + "mlp.gate_proj.weight", s.seed(), ffn, h));
            w.add(random(dtype, p + "mlp.up_proj.weight", s.seed(), ffn, h));
            w.add(random(dtype, p + "mlp.down_proj.weight", s.seed(), h, ffn));
            w.add(ones(dtype, p + "input_layernorm.weight", h));
            w.add(ones(dtype, p + "post_attention_layernorm.weight", h));
        }
        w.add(ones(dtype, "model.norm.weight", h));
        if (!s.tieWordEmbeddings()) w.add(random(dtype, "lm_head.weight", s.seed(), s.vocab(), h));
        HfModelDir.write(dir, config, w, maxShardBytes);
        BpeTokenizerBuilder.write(tok, dir, s.maxPositions());
        return config;
    }

    private static SafeTensors.Planned random(SafeTensors.Dtype dtype, String name, long seed, int rows, int cols) {
        long n = (long) rows * cols;
        return new SafeTensors.Planned(name, dtype, new long[] {rows, cols}, out -> {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
            ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < n; ) {
                if (dtype == SafeTensors.Dtype.F32) {
                    chunk.putFloat((float) (r.nextGaussian() * 0.02));
                    i++;
                } else {
                    // sign, exponent 2^-10..2^-7 and mantissa from 16 random bits: |w| in [0.001, 0.016)
                    long bits = r.nextLong();
                    for (int k = 0; k < 4 && i < n; k++, i++) {
                        int b = (int) (bits >>> (16 * k)) & 0xffff;
                        chunk.putShort((short) ((b & 0x8000) | ((5 + ((b >>> 10) & 3)) << 10) | (b & 0x3ff)));
                    }
                }
                if (chunk.remaining() < 8) {
                    out.write(chunk.array(), 0, chunk.position());
                    chunk.clear();
                }
            }
            out.write(chunk.array(), 0, chunk.position());
        });
    }

    private static SafeTensors.Planned ones(SafeTensors.Dtype dtype, String name, int n) {
        return new SafeTensors.Planned(name, dtype, new long[] {n}, out -> {
            ByteBuffer b = ByteBuffer.allocate(n * dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                if (dtype == SafeTensors.Dtype.F32) b.putFloat(1f);
                else b.putShort((short) 0x3c00); // 1.0 in IEEE half
            }
            out.write(b.array());
        });
    }
}
