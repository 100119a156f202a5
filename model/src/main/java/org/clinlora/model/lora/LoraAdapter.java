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
 * belong to the model. Trainable or frozen as a whole; one read for serving ({@link #packedFromTensors}) is frozen for
 * good.
 */
public final class LoraAdapter implements AutoCloseable {

    /** PEFT's key prefix in adapter_model.safetensors. */
    public static final String PEFT_PREFIX = "base_model.model.";
    /** LLaMA's score head key (BERT's classifier: {@link ClassifierHead#BERT_CLASSIFIER}). */
    public static final String SCORE_KEY = PEFT_PREFIX + "score.weight";

    private final String name;
    private final LoraConfig config;
    /** Owns a resident adapter's tensors; null for a packed one, which owns {@link #packed} and its head. */
    private final NDManager manager;

    private final PackedTensors packed;
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
        this(name, config, manager, null, weights, head, score, scoreBias);
    }

    private LoraAdapter(
            String name,
            LoraConfig config,
            NDManager manager,
            PackedTensors packed,
            Map<String, LoraWeights> weights,
            ClassifierHead head,
            NDArray score,
            NDArray scoreBias) {
        if (weights.isEmpty()) throw selectsNothing(config);
        this.name = name;
        this.config = config;
        this.manager = manager;
        this.packed = packed;
        this.weights = Collections.unmodifiableMap(weights);
        this.head = head;
        this.score = score;
        this.scoreBias = scoreBias;
    }

    private static IllegalArgumentException selectsNothing(LoraConfig config) {
        return new IllegalArgumentException(
                "target_modules " + config.targetModules() + " select no projection of this base model");
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
        StoredTensors stored = new StoredTensors(config, head, shapes, source);
        NDManager m = parent.newSubManager();
        try {
            Map<String, LoraWeights> w = new LinkedHashMap<>();
            for (LoraLinear p : targets(projections, config)) {
                NDArray a =
                        load(m, dtype, stored, PEFT_PREFIX + p.name() + ".lora_A.weight", config.r(), p.inFeatures());
                NDArray b =
                        load(m, dtype, stored, PEFT_PREFIX + p.name() + ".lora_B.weight", p.outFeatures(), config.r());
                w.put(p.name(), new LoraWeights(a, b, (float) config.scaling(), (float) config.loraDropout()));
            }
            NDArray score = config.savesScore()
                    ? load(m, dtype, stored, head.weightKey(), stored.numLabels, stored.hidden)
                    : null;
            NDArray bias = config.savesScore() && head.bias()
                    ? load(m, dtype, stored, head.biasKey(), stored.numLabels, -1)
                    : null;
            stored.checkAllUsed();
            return new LoraAdapter(name, config, m, w, head, score, bias);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * A frozen adapter for serving from stored tensors (fp32, checked as {@link #fromTensors} checks them): its LoRA
     * pairs packed into one tensor ({@link PackedTensors}) that each step reads through views, its head (if any) in
     * arrays of its own. It costs its values and about 3 KiB more, where resident pairs cost about 1.2 KiB per matrix
     * and a manager about 3 KiB: what lets a scorer hold thousands of adapters within its budget. It cannot be trained,
     * merged or saved.
     */
    public static LoraAdapter packedFromTensors(
            String name,
            LoraConfig config,
            Map<String, LoraLinear> projections,
            ClassifierHead head,
            NDManager parent,
            Map<String, long[]> shapes,
            Function<String, ByteBuffer> source) {
        StoredTensors stored = new StoredTensors(config, head, shapes, source);
        PackedTensors.Builder pack = PackedTensors.builder();
        Map<String, PackedTensors.Slot[]> slots = new LinkedHashMap<>();
        for (LoraLinear p : targets(projections, config)) {
            String key = PEFT_PREFIX + p.name();
            slots.put(p.name(), new PackedTensors.Slot[] {
                stored.take(key + ".lora_A.weight", config.r(), p.inFeatures()).addTo(pack),
                stored.take(key + ".lora_B.weight", p.outFeatures(), config.r()).addTo(pack)
            });
        }
        StoredTensor scoreValues =
                config.savesScore() ? stored.take(head.weightKey(), stored.numLabels, stored.hidden) : null;
        StoredTensor biasValues =
                config.savesScore() && head.bias() ? stored.take(head.biasKey(), stored.numLabels, -1) : null;
        stored.checkAllUsed();
        if (slots.isEmpty()) throw selectsNothing(config); // before anything is allocated
        PackedTensors packed = pack.build(parent);
        NDArray score = null, bias = null;
        try {
            if (scoreValues != null) score = NdArrays.fromF32(parent, scoreValues.f32(), scoreValues.shape());
            if (biasValues != null) bias = NdArrays.fromF32(parent, biasValues.f32(), biasValues.shape());
            float scaling = (float) config.scaling(), dropout = (float) config.loraDropout();
            Map<String, LoraWeights> w = new LinkedHashMap<>();
            slots.forEach((module, ab) -> w.put(module, LoraWeights.packed(packed, ab[0], ab[1], scaling, dropout)));
            return new LoraAdapter(name, config, null, packed, w, head, score, bias);
        } catch (RuntimeException e) {
            packed.close();
            if (score != null) score.close();
            if (bias != null) bias.close();
            throw e;
        }
    }

    /** A stored tensor's F32 values and the shape they were checked to have. */
    private record StoredTensor(ByteBuffer f32, Shape shape) {
        PackedTensors.Slot addTo(PackedTensors.Builder pack) {
            return pack.add(f32, shape);
        }
    }

    /** A stored adapter's tensors, each taken once after its shape is checked; the head's shape read first. */
    private static final class StoredTensors {
        final Map<String, long[]> remaining;
        final Function<String, ByteBuffer> source;
        int numLabels;
        long hidden;

        StoredTensors(
                LoraConfig config,
                ClassifierHead head,
                Map<String, long[]> shapes,
                Function<String, ByteBuffer> source) {
            this.remaining = new LinkedHashMap<>(shapes);
            this.source = source;
            if (config.savesScore()) {
                long[] s = remaining.get(head.weightKey());
                if (s == null || s.length != 2) {
                    throw new IllegalArgumentException(
                            "adapter saves '" + head.module() + "' but has no 2-d " + head.weightKey());
                }
                numLabels = Math.toIntExact(s[0]);
                hidden = s[1];
            }
        }

        /** The F32 values of {@code key}, checked to be [rows, cols] ({@code cols} &lt; 0: [rows], a bias). */
        StoredTensor take(String key, long rows, long cols) {
            long[] s = remaining.remove(key);
            if (s == null) throw new IllegalArgumentException("adapter_model.safetensors lacks " + key);
            Shape want = cols < 0 ? new Shape(rows) : new Shape(rows, cols);
            if (!Arrays.equals(s, want.getShape())) {
                throw new IllegalArgumentException(
                        key + " has shape " + Arrays.toString(s) + ", expected " + Arrays.toString(want.getShape()));
            }
            return new StoredTensor(source.apply(key), want);
        }

        void checkAllUsed() {
            if (!remaining.isEmpty()) {
                throw new IllegalArgumentException("adapter_model.safetensors has tensors its config does not explain: "
                        + remaining.keySet().stream().limit(5).toList());
            }
        }
    }

    /** A resident array of {@code key}, [rows, cols] as {@link StoredTensors#take} checks it. */
    private static NDArray load(NDManager m, DataType dtype, StoredTensors stored, String key, long rows, long cols) {
        StoredTensor t = stored.take(key, rows, cols);
        NDArray a = NdArrays.fromF32(m, t.f32(), t.shape());
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
        if (packed != null)
            throw new IllegalStateException(
                    "adapter '" + name + "' is packed for serving: it has no arrays to train or save");
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
        if (packed != null && !trainable) return; // frozen for good
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

    /** Bytes of the adapter's values (its LoRA pairs and head), what a scorer's adapter budget counts. */
    public long tensorBytes() {
        long pairs = packed != null
                ? packed.bytes()
                : weights.values().stream()
                        .mapToLong(w -> bytesOf(w.loraA()) + bytesOf(w.loraB()))
                        .sum();
        return pairs + bytesOf(score) + bytesOf(scoreBias);
    }

    private static long bytesOf(NDArray a) {
        return a == null ? 0 : a.size() * a.getDataType().getNumOfBytes();
    }

    @Override
    public void close() {
        if (manager != null) {
            manager.close();
            return;
        }
        if (packed != null) packed.close();
        if (score != null) score.close();
        if (scoreBias != null) scoreBias.close();
    }
}
