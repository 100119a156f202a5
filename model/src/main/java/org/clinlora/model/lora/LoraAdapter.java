package org.clinlora.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.clinlora.model.io.NdArrays;

/**
 * One named LoRA adapter: its config, a {@code lora_A}/{@code lora_B} pair for each wrapped projection and, for a
 * SEQ_CLS adapter, the {@code score} head it saves. It owns its tensors (freed on close); the base weights it wraps
 * belong to the model. Trainable or frozen as a whole.
 */
public final class LoraAdapter implements AutoCloseable {

    /** PEFT's key prefix in adapter_model.safetensors. */
    public static final String PEFT_PREFIX = "base_model.model.";
    /** LLaMA's score head key (BERT's classifier: {@link ClassifierHead#BERT_CLASSIFIER}). */
    public static final String SCORE_KEY = PEFT_PREFIX + "score.weight";

    private final String name;
    private final LoraConfig config;
    private final NDManager manager;
    private final Map<String, LoraWeights> weights;
    private final ClassifierHead head;
    private final NDArray score;
    private final NDArray scoreBias;
    private boolean trainable;
    private boolean headOnly;

    private LoraAdapter(
            String name,
            LoraConfig config,
            NDManager manager,
            Map<String, LoraWeights> weights,
            ClassifierHead head,
            NDArray score,
            NDArray scoreBias) {
        if (weights.isEmpty()) {
            throw new IllegalArgumentException(
                    "target_modules " + config.targetModules() + " select no projection of this base model");
        }
        this.name = name;
        this.config = config;
        this.manager = manager;
        this.weights = Collections.unmodifiableMap(weights);
        this.head = head;
        this.score = score;
        this.scoreBias = scoreBias;
    }

    /** The projections of {@code projections} that {@code config.target_modules} selects, in model order. */
    public static List<LoraLinear> targets(Map<String, LoraLinear> projections, LoraConfig config) {
        return projections.values().stream()
                .filter(p -> config.targetModules()
                        .contains(p.name().substring(p.name().lastIndexOf('.') + 1)))
                .toList();
    }

    /**
     * A new adapter initialised as PEFT does: lora_A kaiming-uniform (a=√5, i.e. U(±1/√in)), lora_B zero, so the
     * adapter starts as the identity; the score head (SEQ_CLS) normal(0, initializer_range) as Hugging Face inits a
     * Linear. Initial values come from a seeded Java generator, identical on every device.
     */
    public static LoraAdapter create(
            String name,
            LoraConfig config,
            Map<String, LoraLinear> projections,
            ClassifierHead head,
            NDManager parent,
            DataType dtype,
            int numLabels,
            long hiddenSize,
            double initializerRange,
            long seed) {
        if (config.savesScore() && numLabels <= 0)
            throw new IllegalArgumentException("a SEQ_CLS adapter needs num_labels > 0");
        return build(
                name,
                config,
                projections,
                head,
                parent,
                dtype,
                (key, shape) -> {
                    SplittableRandom rnd = new SplittableRandom(seed ^ (key.hashCode() * 0x9E3779B97F4A7C15L));
                    int n = Math.toIntExact(shape.size());
                    float[] v = new float[n];
                    if (key.endsWith(".lora_A.weight")) {
                        double bound = 1.0 / Math.sqrt(shape.get(1));
                        for (int i = 0; i < n; i++) v[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
                    } else if (key.equals(head.weightKey())) { // the bias starts at zero
                        Random g = new Random(rnd.nextLong());
                        for (int i = 0; i < n; i++) v[i] = (float) (g.nextGaussian() * initializerRange);
                    }
                    return v;
                },
                numLabels,
                hiddenSize);
    }

    /**
     * An adapter from stored tensors, keyed as in PEFT's adapter_model.safetensors. {@code source} returns the F32
     * values of a key and its stored shape is checked by the caller through {@code shapes}.
     */
    public static LoraAdapter fromTensors(
            String name,
            LoraConfig config,
            Map<String, LoraLinear> projections,
            ClassifierHead head,
            NDManager parent,
            DataType dtype,
            Map<String, long[]> shapes,
            Function<String, ByteBuffer> source) {
        Map<String, long[]> remaining = new LinkedHashMap<>(shapes);
        int numLabels = 0;
        long hidden = 0;
        if (config.savesScore()) {
            long[] s = remaining.get(head.weightKey());
            if (s == null || s.length != 2) {
                throw new IllegalArgumentException(
                        "adapter saves '" + head.module() + "' but has no 2-d " + head.weightKey());
            }
            numLabels = Math.toIntExact(s[0]);
            hidden = s[1];
        }
        NDManager m = parent.newSubManager();
        try {
            Map<String, LoraWeights> w = new LinkedHashMap<>();
            for (LoraLinear p : targets(projections, config)) {
                NDArray a = load(
                        m,
                        dtype,
                        remaining,
                        source,
                        PEFT_PREFIX + p.name() + ".lora_A.weight",
                        config.r(),
                        p.inFeatures());
                NDArray b = load(
                        m,
                        dtype,
                        remaining,
                        source,
                        PEFT_PREFIX + p.name() + ".lora_B.weight",
                        p.outFeatures(),
                        config.r());
                w.put(p.name(), new LoraWeights(a, b, (float) config.scaling(), (float) config.loraDropout()));
            }
            NDArray score =
                    config.savesScore() ? load(m, dtype, remaining, source, head.weightKey(), numLabels, hidden) : null;
            NDArray bias = config.savesScore() && head.bias()
                    ? load(m, dtype, remaining, source, head.biasKey(), numLabels, -1)
                    : null;
            if (!remaining.isEmpty()) {
                throw new IllegalArgumentException("adapter_model.safetensors has tensors its config does not explain: "
                        + remaining.keySet().stream().limit(5).toList());
            }
            return new LoraAdapter(name, config, m, w, head, score, bias);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** {@code cols} &lt; 0: a 1-d tensor of {@code rows} values (a bias). */
    private static NDArray load(
            NDManager m,
            DataType dtype,
            Map<String, long[]> remaining,
            Function<String, ByteBuffer> source,
            String key,
            long rows,
            long cols) {
        long[] s = remaining.remove(key);
        if (s == null) throw new IllegalArgumentException("adapter_model.safetensors lacks " + key);
        Shape want = cols < 0 ? new Shape(rows) : new Shape(rows, cols);
        if (!new Shape(s).equals(want)) {
            throw new IllegalArgumentException(
                    key + " has shape " + Arrays.toString(s) + ", expected " + Arrays.toString(want.getShape()));
        }
        NDArray a = NdArrays.fromF32(m, source.apply(key), want);
        return dtype == DataType.FLOAT32 ? a : a.toType(dtype, false);
    }

    private static LoraAdapter build(
            String name,
            LoraConfig config,
            Map<String, LoraLinear> projections,
            ClassifierHead head,
            NDManager parent,
            DataType dtype,
            BiFunction<String, Shape, float[]> values,
            int numLabels,
            long hidden) {
        NDManager m = parent.newSubManager();
        try {
            Map<String, LoraWeights> w = new LinkedHashMap<>();
            for (LoraLinear p : targets(projections, config)) {
                Shape sa = new Shape(config.r(), p.inFeatures()), sb = new Shape(p.outFeatures(), config.r());
                NDArray a = m.create(values.apply(PEFT_PREFIX + p.name() + ".lora_A.weight", sa), sa)
                        .toType(dtype, false);
                NDArray b = m.create(values.apply(PEFT_PREFIX + p.name() + ".lora_B.weight", sb), sb)
                        .toType(dtype, false);
                w.put(p.name(), new LoraWeights(a, b, (float) config.scaling(), (float) config.loraDropout()));
            }
            NDArray score = null, bias = null;
            if (config.savesScore()) {
                Shape ss = new Shape(numLabels, hidden);
                score = m.create(values.apply(head.weightKey(), ss), ss).toType(dtype, false);
                if (head.bias())
                    bias = m.create(values.apply(head.biasKey(), new Shape(numLabels)), new Shape(numLabels))
                            .toType(dtype, false);
            }
            return new LoraAdapter(name, config, m, w, head, score, bias);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Installs the pairs on the model's projections (called by the model). */
    public void attachTo(Map<String, LoraLinear> projections) {
        for (String module : weights.keySet()) {
            if (!projections.containsKey(module))
                throw new IllegalArgumentException("the model has no projection " + module);
        }
        weights.forEach((module, w) -> projections.get(module).add(name, w));
    }

    public void detachFrom(Map<String, LoraLinear> projections) {
        weights.keySet().forEach(module -> projections.get(module).remove(name));
    }

    public String name() {
        return name;
    }

    public LoraConfig config() {
        return config;
    }

    /** LoRA pairs by module path. */
    public Map<String, LoraWeights> weights() {
        return weights;
    }

    /** The classification head's weight [num_labels, hidden], or null for a CAUSAL_LM adapter. */
    public NDArray score() {
        return score;
    }

    /** The classification head this adapter saves (weight and, for BERT's classifier, bias), or null. */
    public ClassifierHead.Weights head() {
        return score == null ? null : new ClassifierHead.Weights(score, scoreBias);
    }

    public int numLabels() {
        return score == null ? 0 : Math.toIntExact(score.getShape().get(0));
    }

    /** Every tensor of the adapter under its PEFT key (the layout of adapter_model.safetensors). */
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> p = new LinkedHashMap<>();
        weights.forEach((module, w) -> {
            p.put(PEFT_PREFIX + module + ".lora_A.weight", w.loraA());
            p.put(PEFT_PREFIX + module + ".lora_B.weight", w.loraB());
        });
        if (score != null) p.put(head.weightKey(), score);
        if (scoreBias != null) p.put(head.biasKey(), scoreBias);
        return p;
    }

    public boolean trainable() {
        return trainable;
    }

    /** Trainable adapters receive gradients when active; frozen ones still add their delta but get none. */
    public void setTrainable(boolean trainable) {
        this.trainable = trainable;
        this.headOnly = false;
        for (NDArray a : parameters().values()) a.setRequiresGradient(trainable);
    }

    /**
     * Trains only the score head: the LoRA pairs keep their initial values (lora_B zero, so no delta) — the paper's
     * "frozen base, head only" baseline, still saved as a valid PEFT adapter.
     */
    public void setHeadOnly() {
        if (score == null) throw new IllegalArgumentException("adapter '" + name + "' has no score head to train");
        setTrainable(true);
        weights.values().forEach(w -> {
            w.loraA().setRequiresGradient(false);
            w.loraB().setRequiresGradient(false);
        });
        headOnly = true;
    }

    /** The tensors that receive gradients when this adapter is trainable. */
    public Map<String, NDArray> trainableParameters() {
        Map<String, NDArray> p = parameters();
        if (headOnly) p.keySet().retainAll(Set.of(head.weightKey(), head.biasKey()));
        return p;
    }

    @Override
    public void close() {
        manager.close();
    }
}
