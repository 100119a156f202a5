package org.clinlora.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.clinlora.model.io.HfModelDir;
import org.clinlora.model.io.NdArrays;
import org.clinlora.model.io.Weights;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraLinear;

/**
 * The LLaMA decoder as Hugging Face's {@code LlamaForCausalLM} and {@code LlamaForSequenceClassification} compute it,
 * with every projection a {@link LoraLinear} so adapters can be stacked over the frozen base.
 *
 * <pre>
 * input_ids → embed_tokens → [decoder layer × N] → norm → lm_head            (causal LM logits)
 *                                                      └→ score at the last real token (classification logits)
 * </pre>
 *
 * The active adapters are an argument of each forward call, not model state, so one loaded base can serve different
 * adapter stacks at once. Base weights never require gradients.
 */
public final class LlamaModel implements AutoCloseable {

    private final LlamaConfig config;
    private final Compute compute;
    private final NDManager manager;
    private final NDArray embedTokens;
    private final List<LlamaDecoderLayer> layers;
    private final RmsNorm norm;
    private final NDArray lmHead;
    private final NDArray baseScore;
    private final RotaryEmbedding rotary;
    private final Map<String, LoraLinear> projections;
    private final Map<String, LoraAdapter> adapters = new ConcurrentHashMap<>();

    private LlamaModel(LlamaConfig config, Compute compute, NDManager manager, Weights w) {
        this.config = config;
        this.compute = compute;
        this.manager = manager;
        int h = config.hiddenSize(), q = config.numAttentionHeads() * config.headDim();
        int kv = config.numKeyValueHeads() * config.headDim(), ffn = config.intermediateSize();
        Set<String> expected = new java.util.HashSet<>();
        this.embedTokens = tensor(w, "model.embed_tokens.weight", expected, config.vocabSize(), h);
        Map<String, LoraLinear> proj = new LinkedHashMap<>();
        List<LlamaDecoderLayer> ls = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            LlamaAttention attn = new LlamaAttention(config,
                    projection(w, p + "self_attn.q_proj", expected, proj, q, h),
                    projection(w, p + "self_attn.k_proj", expected, proj, kv, h),
                    projection(w, p + "self_attn.v_proj", expected, proj, kv, h),
                    projection(w, p + "self_attn.o_proj", expected, proj, h, q));
            LlamaMlp mlp = new LlamaMlp(
                    projection(w, p + "mlp.gate_proj", expected, proj, ffn, h),
                    projection(w, p + "mlp.up_proj", expected, proj, ffn, h),
                    projection(w, p + "mlp.down_proj", expected, proj, h, ffn));
            ls.add(new LlamaDecoderLayer(attn, mlp,
                    new RmsNorm(tensor(w, p + "input_layernorm.weight", expected, h), config.rmsNormEps()),
                    new RmsNorm(tensor(w, p + "post_attention_layernorm.weight", expected, h), config.rmsNormEps())));
        }
        this.layers = Collections.unmodifiableList(ls);
        this.projections = Collections.unmodifiableMap(proj);
        this.norm = new RmsNorm(tensor(w, "model.norm.weight", expected, h), config.rmsNormEps());
        if (config.tieWordEmbeddings() || !w.names().contains("lm_head.weight")) {
            if (!config.tieWordEmbeddings() && !w.names().contains("score.weight")) {
                throw new IllegalArgumentException("checkpoint has no lm_head.weight and tie_word_embeddings is false");
            }
            this.lmHead = config.tieWordEmbeddings() ? embedTokens : null;
        } else {
            this.lmHead = tensor(w, "lm_head.weight", expected, config.vocabSize(), h);
        }
        this.baseScore = w.names().contains("score.weight") ? tensor(w, "score.weight", expected, -1, h) : null;
        for (String name : w.names()) {
            if (!expected.contains(name) && !name.endsWith("rotary_emb.inv_freq") && !(name.equals("lm_head.weight") && config.tieWordEmbeddings())) {
                throw new IllegalArgumentException("checkpoint has an unexpected tensor '" + name + "' for a LLaMA model");
            }
        }
        this.rotary = new RotaryEmbedding(config);
    }

    /** Loads a Hugging Face model directory (config.json + safetensors) onto the given device and precision. */
    public static LlamaModel load(Path dir, Compute compute) throws IOException {
        LlamaConfig config = HfModelDir.readConfig(dir);
        NDManager manager = NDManager.newBaseManager(compute.device());
        try (Weights w = HfModelDir.openWeights(dir)) {
            return new LlamaModel(config, compute, manager, w);
        } catch (RuntimeException | IOException e) {
            manager.close();
            throw e;
        }
    }

    private NDArray tensor(Weights w, String name, Set<String> expected, long... shape) {
        if (!w.names().contains(name)) throw new IllegalArgumentException("checkpoint lacks tensor '" + name + "'");
        long[] actual = w.entry(name).shape();
        boolean ok = actual.length == shape.length;
        for (int i = 0; ok && i < shape.length; i++) ok = shape[i] < 0 || shape[i] == actual[i];
        if (!ok) {
            throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(actual)
                    + " but config.json implies " + Arrays.toString(shape));
        }
        expected.add(name);
        NDArray a = NdArrays.fromF32(manager, w.f32Bytes(name), new Shape(actual));
        return compute.dtype() == DataType.FLOAT32 ? a : a.toType(compute.dtype(), false);
    }

    private LoraLinear projection(Weights w, String module, Set<String> expected, Map<String, LoraLinear> out, long outF, long inF) {
        LoraLinear l = new LoraLinear(module, tensor(w, module + ".weight", expected, outF, inF));
        out.put(module, l);
        return l;
    }

    public LlamaConfig config() {
        return config;
    }

    public Compute compute() {
        return compute;
    }

    public NDManager manager() {
        return manager;
    }

    /**
     * A fresh step whose intermediates are freed when it closes. libtorch's grad mode is per thread and on by default
     * in any thread but the one that started the engine, so every step says what it needs: off here, and on only inside
     * a training step's GradientCollector. (Without this a service's worker thread records graphs it never uses and
     * in-place optimizer updates of trainable leaves are refused.)
     */
    public StepContext newStep(boolean training) {
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        return new StepContext(manager, compute.dtype(), training);
    }

    /** Every wrapped projection by module path, e.g. {@code model.layers.0.self_attn.q_proj}. */
    public Map<String, LoraLinear> projections() {
        return projections;
    }

    // ---- adapters -------------------------------------------------------------------------------------------

    /** Installs an adapter's LoRA pairs on their projections. Its name must be new. */
    public void addAdapter(LoraAdapter adapter) {
        if (adapters.putIfAbsent(adapter.name(), adapter) != null) {
            throw new IllegalArgumentException("an adapter named '" + adapter.name() + "' is already loaded");
        }
        adapter.attachTo(projections);
    }

    /** Removes an adapter (unmerging it first if merged) and frees its tensors. */
    public void removeAdapter(String name) {
        LoraAdapter a = adapters.remove(name);
        if (a == null) return;
        a.detachFrom(projections);
        a.close();
    }

    public LoraAdapter adapter(String name) {
        LoraAdapter a = adapters.get(name);
        if (a == null) throw new IllegalArgumentException("no adapter named '" + name + "' is loaded");
        return a;
    }

    public Set<String> adapterNames() {
        return Collections.unmodifiableSet(adapters.keySet());
    }

    public void merge(String adapter) {
        for (String module : adapter(adapter).weights().keySet()) projections.get(module).merge(adapter);
    }

    public void unmerge(String adapter) {
        for (String module : adapter(adapter).weights().keySet()) projections.get(module).unmerge(adapter);
    }

    // ---- forward --------------------------------------------------------------------------------------------

    /** Final-normed hidden states [B, T, hidden] with the given adapters active (deltas summed). */
    public NDArray hiddenStates(StepContext ctx, TokenBatch batch, List<String> active) {
        return hiddenStates(ctx, batch, ActiveAdapters.all(active));
    }

    /** The same with a stack per row (a scorer's batch across tasks): see {@link ActiveAdapters#perRow}. */
    public NDArray hiddenStates(StepContext ctx, TokenBatch batch, ActiveAdapters active) {
        for (String a : active.names()) adapter(a);
        batch.checkVocabulary(config.vocabSize());
        NDManager m = ctx.manager();
        int b = batch.batchSize(), t = batch.seqLen();
        NDArray ids = m.create(batch.inputIds(), new Shape(b, t));
        NDArray x = Embedding.embedding(ids, embedTokens, SparseFormat.DENSE).singletonOrThrow();
        NDList cosSin = rotary.cosSin(ctx, t);
        NDArray mask = additiveMask(ctx, batch);
        for (LlamaDecoderLayer layer : layers) {
            x = layer.forward(ctx, x, cosSin.get(0), cosSin.get(1), mask, active);
        }
        return norm.forward(ctx, x);
    }

    /** Causal-LM logits [B, T, vocab] in float32. */
    public NDArray lmLogits(StepContext ctx, NDArray hidden) {
        if (lmHead == null) throw new IllegalStateException("this checkpoint has no lm_head (a sequence-classification export)");
        NDArray logits = Linear.linear(hidden, lmHead).singletonOrThrow();
        return logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
    }

    /** The score head that applies to this adapter stack: the last active adapter that saves one, else the base's. */
    public NDArray scoreHead(List<String> active) {
        for (int i = active.size() - 1; i >= 0; i--) {
            NDArray s = adapter(active.get(i)).score();
            if (s != null) return s;
        }
        if (baseScore != null) return baseScore;
        throw new IllegalArgumentException("no active adapter carries a score head (modules_to_save: [score])");
    }

    public boolean hasScoreHead(List<String> active) {
        if (baseScore != null) return true;
        for (String a : active) if (adapter(a).score() != null) return true;
        return false;
    }

    /**
     * Classification logits [B, num_labels]: {@code score} applied to the final hidden state of each row's last real
     * token, as LlamaForSequenceClassification pools.
     */
    public NDArray classify(StepContext ctx, NDArray hidden, TokenBatch batch, List<String> active) {
        return classify(ctx, hidden, batch, scoreHead(active));
    }

    /** Classification logits with an explicit score head [num_labels, hidden]. */
    public NDArray classify(StepContext ctx, NDArray hidden, TokenBatch batch, NDArray score) {
        return scorePooled(pool(ctx, hidden, batch), score);
    }

    /**
     * The {@code score} head on rows already pooled by {@link #pool}: logits [B, num_labels] in float32. A scorer that
     * batches rows of several tasks pools once and applies each task's head to the same pooled rows.
     */
    public NDArray scorePooled(NDArray pooled, NDArray score) {
        NDArray head = score.getDataType() == pooled.getDataType() ? score : score.toType(pooled.getDataType(), false);  // fp32 master head
        NDArray logits = Linear.linear(pooled, head).singletonOrThrow();
        return logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
    }

    /** Each row's final hidden state at its last real token [B, hidden]: what LlamaForSequenceClassification scores. */
    public NDArray pool(StepContext ctx, NDArray hidden, TokenBatch batch) {
        int b = batch.batchSize(), t = batch.seqLen();
        float[] select = new float[b * t];
        for (int i = 0; i < b; i++) select[i * t + batch.lastTokenIndex(i)] = 1f;
        // A one-hot [B,1,T] x [B,T,H] product picks each row's last token and stays differentiable.
        NDArray sel = ctx.manager().create(select, new Shape(b, 1, t)).toType(hidden.getDataType(), false);
        return sel.matMul(hidden).reshape(b, hidden.getShape().get(2));
    }

    /** Causal and padding mask, additive [B, 1, T, T]: 0 where query i may see key j (j ≤ i and j real), min otherwise. */
    private NDArray additiveMask(StepContext ctx, TokenBatch batch) {
        int b = batch.batchSize(), t = batch.seqLen();
        float[] mask = new float[b * t * t];
        float min = -Float.MAX_VALUE;
        long[] am = batch.attentionMask();
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < t; i++) {
                int base = (r * t + i) * t;
                for (int j = 0; j < t; j++) {
                    mask[base + j] = (j <= i && am[r * t + j] == 1) ? 0f : min;
                }
            }
        }
        return ctx.manager().create(mask, new Shape(b, 1, t, t)).toType(ctx.dtype(), false);
    }

    @Override
    public void close() {
        for (String name : List.copyOf(adapters.keySet())) removeAdapter(name);
        manager.close();
    }
}
