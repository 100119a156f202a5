package org.clinlora.model.bert;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.io.HfModelDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.text.SampleClinicalText;
import org.clinlora.model.text.WordPieceTokenizerBuilder;

/**
 * Small random BERT encoders in Hugging Face layout (a pre-trained {@code BertModel} save with the {@code bert.}
 * prefix, no classifier) with a WordPiece tokenizer.json learned from generated clinical text, for tests and the demo.
 * Weights are normal(0, initializer_range), biases zero, LayerNorm weights one, as Hugging Face initialises BERT.
 */
public final class TinyBert {

    public record Spec(int vocab, int hidden, int layers, int heads, int intermediate, int maxPositions, long seed) {
        public Spec {
            if (vocab <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || intermediate <= 0 || maxPositions <= 0) {
                throw new IllegalArgumentException("model dimensions must be positive");
            }
            if (hidden % heads != 0)
                throw new IllegalArgumentException(
                        "--hidden (" + hidden + ") must be divisible by --heads (" + heads + ")");
        }
    }

    private TinyBert() {}

    public static BertConfig write(Path dir, Spec s) throws IOException {
        WordPieceTokenizerBuilder wp = new WordPieceTokenizerBuilder();
        for (int i = 0; i < 64; i++) wp.add(SampleClinicalText.generate(s.seed() * 1000 + i, 40));
        for (SyntheticCorpus.Admission a :
                new SyntheticCorpus(new SyntheticCorpus.Settings(120, 0.5, s.seed() + 17)).admissions()) {
            wp.add(a.dischargeSummary());
            a.radiology().forEach(wp::add);
        }
        // The vocabulary holds what the text has, up to s.vocab() pieces; the embedding has exactly its rows.
        Map<String, Integer> vocab = wp.build(s.vocab());
        BertConfig config = new BertConfig(
                vocab.size(),
                s.hidden(),
                s.layers(),
                s.heads(),
                s.intermediate(),
                0.1,
                0.1,
                null,
                s.maxPositions(),
                2,
                1e-12,
                WordPieceTokenizerBuilder.PAD_ID,
                0.02,
                "float32",
                List.of());
        Map<String, SafeTensors.Tensor> w = new LinkedHashMap<>();
        int h = s.hidden();
        w.put("bert.embeddings.word_embeddings.weight", random(s.seed(), "word", vocab.size(), h));
        w.put("bert.embeddings.position_embeddings.weight", random(s.seed(), "position", s.maxPositions(), h));
        w.put("bert.embeddings.token_type_embeddings.weight", random(s.seed(), "type", 2, h));
        w.put("bert.embeddings.LayerNorm.weight", filled(h, 1f));
        w.put("bert.embeddings.LayerNorm.bias", filled(h, 0f));
        config.projectionShapes().forEach((module, outIn) -> {
            w.put(module + ".weight", random(s.seed(), module, (int) outIn[0], (int) outIn[1]));
            w.put(module + ".bias", filled((int) outIn[0], 0f));
        });
        for (int i = 0; i < s.layers(); i++) {
            for (String ln : List.of("attention.output.LayerNorm", "output.LayerNorm")) {
                w.put(BertModel.LAYER_PREFIX + i + "." + ln + ".weight", filled(h, 1f));
                w.put(BertModel.LAYER_PREFIX + i + "." + ln + ".bias", filled(h, 0f));
            }
        }
        HfModelDir.write(dir, config, w, Long.MAX_VALUE);
        WordPieceTokenizerBuilder.write(vocab, dir, s.maxPositions());
        return config;
    }

    private static SafeTensors.Tensor random(long seed, String name, int rows, int cols) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.02);
        return SafeTensors.Tensor.f32(new long[] {rows, cols}, v);
    }

    private static SafeTensors.Tensor filled(int n, float value) {
        float[] v = new float[n];
        Arrays.fill(v, value);
        return SafeTensors.Tensor.f32(new long[] {n}, v);
    }
}
