package org.clinlora.model.llama;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.CpuDataParallel;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.HfModelDir;
import org.clinlora.model.io.Weights;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.lora.ClassifierHead;
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
public final class LlamaModel implements BaseModel {

    private final LlamaConfig config;
    private final Compute compute;
    private final NDManager manager;
    private final NDArray embedTokens;
    private final List<LlamaDecoderLayer> layers;
    private final RmsNorm norm;
    private final NDArray lmHead;
    private final ClassifierHead.Weights baseScore;
    private final RotaryEmbedding rotary;
    private final Map<String, LoraLinear> projections;
    private final Map<String, LoraAdapter> adapters = new ConcurrentHashMap<>();

    private LlamaModel(LlamaConfig config, Compute compute, NDManager manager, Weights w) {
        this.config = config;
        this.compute = compute;
        this.manager = manager;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (String name : w.names()) shapes.put(name, w.entry(name).shape());
        LlamaCheckpoint.check(config, shapes);
        this.embedTokens = tensor(w, "model.embed_tokens.weight");
        Map<String, LoraLinear> proj = new LinkedHashMap<>();
        List<LlamaDecoderLayer> ls = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            LlamaAttention attn = new LlamaAttention(
                    config,
                    projection(w, p + "self_attn.q_proj", proj),
                    projection(w, p + "self_attn.k_proj", proj),
                    projection(w, p + "self_attn.v_proj", proj),
                    projection(w, p + "self_attn.o_proj", proj));
            LlamaMlp mlp = new LlamaMlp(
                    projection(w, p + "mlp.gate_proj", proj),
                    projection(w, p + "mlp.up_proj", proj),
                    projection(w, p + "mlp.down_proj", proj));
            ls.add(new LlamaDecoderLayer(
                    attn,
                    mlp,
                    new RmsNorm(tensor(w, p + "input_layernorm.weight"), config.rmsNormEps()),
                    new RmsNorm(tensor(w, p + "post_attention_layernorm.weight"), config.rmsNormEps())));
        }
        this.layers = Collections.unmodifiableList(ls);
        this.projections = Collections.unmodifiableMap(proj);
        this.norm = new RmsNorm(tensor(w, "model.norm.weight"), config.rmsNormEps());
        this.lmHead = config.tieWordEmbeddings()
                ? embedTokens
                : w.names().contains("lm_head.weight") ? tensor(w, "lm_head.weight") : null;
        this.baseScore =
                w.names().contains("score.weight") ? new ClassifierHead.Weights(tensor(w, "score.weight"), null) : null;
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

    private NDArray tensor(Weights w, String name) {
        return w.toNDArray(manager, name, compute.dtype());
    }

    private LoraLinear projection(Weights w, String module, Map<String, LoraLinear> out) {
        LoraLinear l = new LoraLinear(module, tensor(w, module + ".weight"));
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

    /** LLaMA's micro-batches train as data-parallel parts on a CPU (measured faster; docs/PERFORMANCE.md). */
    @Override
    public boolean trainsInParts() {
        return true;
    }

    /**
     * A fresh step whose intermediates are freed when it closes. libtorch's grad mode is per thread and on by default
     * in any thread but the one that started the engine, so every step says what it needs: off here, and on only inside
     * a training step's GradientCollector. (Without this a service's worker thread records graphs it never uses and
     * in-place optimizer updates of trainable leaves are refused.)
     */
    public StepContext newStep(boolean training) {
        JniUtils.setGradMode(false);
        return new StepContext(manager, compute.computeDtype(), training);
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
        for (String module : adapter(adapter).weights().keySet())
            projections.get(module).merge(adapter);
    }

    public void unmerge(String adapter) {
        for (String module : adapter(adapter).weights().keySet())
            projections.get(module).unmerge(adapter);
    }

    // ---- forward --------------------------------------------------------------------------------------------

    /**
     * The same with a stack per row (a scorer's batch across tasks): see {@link ActiveAdapters#perRow}. Each decoder
     * layer runs in its own nested step, so a layer's intermediates are freed (or, while training, left to the autograd
     * graph) as soon as its output exists: inference holds one layer's activations at a time.
     */
    public NDArray hiddenStates(StepContext ctx, TokenBatch batch, ActiveAdapters active) {
        NDList cosSin = rotary.cosSin(ctx, batch.seqLen());
        NDArray mask = additiveMask(ctx, batch, null);
        return norm.forward(ctx, throughLayers(ctx, embed(ctx, batch, active), layers, cosSin, mask, active));
    }

    /** {@code x} through the given decoder layers in order, each in its own step; each input is freed once used. */
    private static NDArray throughLayers(
            StepContext ctx,
            NDArray x,
            List<LlamaDecoderLayer> through,
            NDList cosSin,
            NDArray mask,
            ActiveAdapters active) {
        for (LlamaDecoderLayer layer : through) {
            NDArray next = layerForward(ctx, layer, x, cosSin, mask, active);
            x.close(); // under a graph, autograd still holds what backward needs
            x = next;
        }
        return x;
    }

    private NDArray embed(StepContext ctx, TokenBatch batch, ActiveAdapters active) {
        for (String a : active.names()) adapter(a);
        batch.checkVocabulary(config.vocabSize());
        NDArray ids = ctx.manager().create(batch.inputIds(), new Shape(batch.batchSize(), batch.seqLen()));
        NDArray x = Embedding.embedding(ids, embedTokens, SparseFormat.DENSE).singletonOrThrow();
        return x.getDataType() == ctx.dtype() ? x : x.toType(ctx.dtype(), false); // half weights, fp32 arithmetic (CPU)
    }

    /**
     * What {@code pool(ctx, hiddenStates(ctx, batch, active), batch)} returns, [B, hidden], for less work: a classifier
     * reads one position per row, so the last decoder layer computes keys and values for every position but queries,
     * o_proj, the MLP and the final norm for the pooled position alone (the other positions' outputs would be thrown
     * away). The arithmetic of the kept rows is unchanged.
     */
    public NDArray pooledHiddenStates(StepContext ctx, TokenBatch batch, ActiveAdapters active) {
        // Not under a graph, nor for a half base (each part would cast and read every weight block again).
        int parts = JniUtils.isGradMode() || compute.half() ? 1 : CpuDataParallel.parts(compute, batch.batchSize());
        if (parts == 1) return pooledHiddenStatesHere(ctx, batch, active);
        int[] bounds = CpuDataParallel.boundaries(batch.batchSize(), parts);
        List<Callable<NDArray>> tasks = new ArrayList<>();
        for (int i = 0; i < parts; i++) {
            TokenBatch rows = batch.rows(bounds[i], bounds[i + 1]);
            ActiveAdapters partActive = active.rows(bounds[i], bounds[i + 1]);
            tasks.add(() -> {
                try (StepContext part = ctx.inferencePart()) {
                    NDArray pooled = pooledHiddenStatesHere(part, rows, partActive);
                    pooled.attach(ctx.manager());
                    return pooled;
                }
            });
        }
        return NDArrays.concat(new NDList(CpuDataParallel.run(tasks)), 0);
    }

    /** {@link #pooledHiddenStates} of the whole batch in this thread. */
    private NDArray pooledHiddenStatesHere(StepContext ctx, TokenBatch batch, ActiveAdapters active) {
        int[] pos = pooledPositions(batch);
        NDList cosSin = rotary.cosSin(ctx, batch.seqLen());
        NDArray mask = additiveMask(ctx, batch, null);
        int n = layers.size();
        NDArray x = throughLayers(ctx, embed(ctx, batch, active), layers.subList(0, n - 1), cosSin, mask, active);
        NDList cosSinQ = rotary.cosSinAt(ctx, pos, batch.seqLen());
        NDArray maskQ = additiveMask(ctx, batch, pos);
        NDArray select = selection(ctx, pos, batch.seqLen(), x.getDataType());
        NDArray last = ctx.nested(
                inner -> layers.get(n - 1)
                        .forwardAt(
                                inner,
                                x,
                                select,
                                cosSinQ.get(0),
                                cosSinQ.get(1),
                                cosSin.get(0),
                                cosSin.get(1),
                                maskQ,
                                active),
                x,
                select); // select.matMul(x) is the layer's first op on the pooled rows
        x.close();
        return norm.forward(ctx, last).reshape(batch.batchSize(), config.hiddenSize());
    }

    private static NDArray layerForward(
            StepContext ctx, LlamaDecoderLayer layer, NDArray x, NDList cosSin, NDArray mask, ActiveAdapters active) {
        return ctx.nested(inner -> layer.forward(inner, x, cosSin.get(0), cosSin.get(1), mask, active), x);
    }

    /**
     * Back-propagates one micro-batch by recomputing each decoder layer (Hugging Face's
     * {@code gradient_checkpointing}), the way a half-precision base trains here: a forward pass in the compute dtype
     * without a graph keeps only each layer's input; then from the top, each layer is recomputed in fp32 (its frozen
     * weights cast for that layer only) with a graph, back-propagated alone with the gradient arriving from above, and
     * freed. Gradients accumulate on the trainable adapters' fp32 master weights.
     *
     * <p>Why fp32 for the recomputation: DJL's dtype casts are not differentiable, so a graph cannot mix PEFT's fp32
     * LoRA branch with an fp16 base; and libtorch's CPU fp16 matmul for the backward's untransposed product is ~150x
     * slower than fp32. Memory: the base in its dtype, one layer in fp32 and one layer's graph.
     *
     * @param lossMultiplier what the loss is multiplied by before backward (1/accumulation × loss scale)
     * @param seed dropout is reseeded per layer from it, so both passes draw the same masks
     * @return the unscaled loss
     */
    @Override
    public float backwardByLayer(
            StepContext ctx, TokenBatch batch, ActiveAdapters active, Head head, float lossMultiplier, int seed) {
        JniUtils.setGradMode(false);
        Engine engine = Engine.getInstance();
        int n = layers.size();
        NDArray[] inputs = new NDArray[n + 1];
        inputs[0] = embed(ctx, batch, active);
        NDList cosSin = rotary.cosSin(ctx, batch.seqLen());
        NDArray mask = additiveMask(ctx, batch, null);
        for (int i = 0; i < n; i++) {
            engine.setRandomSeed(seed + 7919 * i);
            inputs[i + 1] = layerForward(ctx, layers.get(i), inputs[i], cosSin, mask, active);
        }
        float loss;
        NDArray grad;
        try (StepContext top = ctx.child(DataType.FLOAT32);
                GradientCollector gc = engine.newGradientCollector()) {
            NDArray leaf = fp32Leaf(top, inputs[n]);
            NDArray l = head.loss(top, norm.forward(top, leaf));
            loss = l.getFloat();
            if (!Float.isFinite(loss)) return loss;
            gc.backward(l.mul(top.scalar(lossMultiplier)));
            grad = leaf.getGradient().duplicate();
            grad.attach(ctx.manager());
        }
        try (StepContext fp32 = ctx.child(DataType.FLOAT32)) {
            NDList cosSin32 = rotary.cosSin(fp32, batch.seqLen());
            NDArray mask32 = additiveMask(fp32, batch, null);
            for (int i = n - 1; i >= 0; i--) {
                engine.setRandomSeed(seed + 7919 * i);
                NDArray below;
                try (StepContext layerCtx = fp32.child();
                        GradientCollector gc = engine.newGradientCollector()) {
                    NDArray leaf = fp32Leaf(layerCtx, inputs[i]);
                    NDArray y = layers.get(i).forward(layerCtx, leaf, cosSin32.get(0), cosSin32.get(1), mask32, active);
                    gc.backward(y.mul(grad).sum());
                    below = i == 0 ? null : leaf.getGradient().duplicate();
                    if (below != null) below.attach(ctx.manager());
                }
                grad.close();
                inputs[i + 1].close();
                grad = below;
            }
        }
        return loss;
    }

    /** An fp32 copy of {@code x} in the step, recording its gradient: where a recomputed piece starts. */
    private static NDArray fp32Leaf(StepContext ctx, NDArray x) {
        NDArray leaf = x.toType(DataType.FLOAT32, true);
        leaf.attach(ctx.manager());
        leaf.setRequiresGradient(true);
        return leaf;
    }

    /** Causal-LM logits [B, T, vocab] in float32. */
    @Override
    public NDArray lmLogits(StepContext ctx, NDArray hidden) {
        if (lmHead == null)
            throw new IllegalStateException("this checkpoint has no lm_head (a sequence-classification export)");
        NDArray head =
                lmHead.getDataType() == hidden.getDataType() ? lmHead : lmHead.toType(hidden.getDataType(), false);
        NDArray logits = Linear.linear(hidden, head).singletonOrThrow();
        if (head != lmHead) head.close();
        return logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
    }

    /** {@code lm_head.weight} (the token embeddings where they are tied), or null in a classification export. */
    @Override
    public NDArray lmHeadWeight() {
        return lmHead;
    }

    /** {@code score.weight} of a sequence-classification export, or null. */
    @Override
    public ClassifierHead.Weights baseHead() {
        return baseScore;
    }

    /**
     * Classification logits [B, num_labels]: {@code score} applied to the final hidden state of each row's last real
     * token, as LlamaForSequenceClassification pools.
     */
    @Override
    public NDArray classify(StepContext ctx, NDArray hidden, TokenBatch batch, List<String> active) {
        return scorePooled(pool(ctx, hidden, batch), scoreHead(active).in(ctx));
    }

    /** Classification logits with an explicit score head [num_labels, hidden]. */
    public NDArray classify(StepContext ctx, NDArray hidden, TokenBatch batch, NDArray score) {
        return scorePooled(pool(ctx, hidden, batch), score);
    }

    /**
     * The {@code score} head on rows already pooled by {@link #pool}: logits [B, num_labels] in float32. A scorer that
     * batches rows of several tasks pools once and applies each task's head to the same pooled rows.
     */
    @Override
    public NDArray scorePooled(NDArray pooled, ClassifierHead.Weights head) {
        if (head.bias() != null) throw new IllegalArgumentException("LLaMA's score head has no bias");
        return scorePooled(pooled, head.weight());
    }

    public NDArray scorePooled(NDArray pooled, NDArray score) {
        // The head computes in fp32 (its master weights), as PEFT computes a half model's adapter branch.
        NDArray x = pooled.getDataType() == DataType.FLOAT32 ? pooled : pooled.toType(DataType.FLOAT32, false);
        NDArray head = score.getDataType() == DataType.FLOAT32 ? score : score.toType(DataType.FLOAT32, false);
        if (head != score)
            head.attach(x.getManager()); // a cast of a shared tensor belongs to the shared tensor's manager
        return Linear.linear(x, head).singletonOrThrow();
    }

    /**
     * Each row's final hidden state where LlamaForSequenceClassification pools [B, hidden]: the rightmost token whose
     * id is not {@code pad_token_id} (so with pad = eos, an EOS-terminated row pools the token before its EOS), or the
     * last position when config.json has no pad_token_id, which, as in Hugging Face, only a batch of one may use.
     */
    @Override
    public NDArray pool(StepContext ctx, NDArray hidden, TokenBatch batch, ActiveAdapters active) {
        return pool(ctx, hidden, batch);
    }

    public NDArray pool(StepContext ctx, NDArray hidden, TokenBatch batch) {
        NDArray sel = selection(ctx, pooledPositions(batch), batch.seqLen(), hidden.getDataType());
        return sel.matMul(hidden).reshape(batch.batchSize(), hidden.getShape().get(2));
    }

    /** The position each row pools at (see {@link #pool}). */
    private int[] pooledPositions(TokenBatch batch) {
        int b = batch.batchSize(), t = batch.seqLen();
        Integer pad = config.padTokenId();
        if (pad == null && b > 1) {
            throw new IllegalArgumentException(
                    "cannot classify batches of more than one row without a padding token: config.json has no "
                            + "pad_token_id (set it, e.g. to eos_token_id as LLaMA fine-tuning usually does)");
        }
        int[] pos = new int[b];
        for (int i = 0; i < b; i++) pos[i] = pad == null ? t - 1 : batch.lastNonPadIndex(i, pad);
        return pos;
    }

    /** One-hot rows [B, 1, T]: times [B, T, H] it picks each row's position exactly, and stays differentiable. */
    private static NDArray selection(StepContext ctx, int[] positions, int t, DataType dtype) {
        float[] select = new float[positions.length * t];
        for (int i = 0; i < positions.length; i++) select[i * t + positions[i]] = 1f;
        NDArray sel = ctx.manager().create(select, new Shape(positions.length, 1, t));
        return dtype == DataType.FLOAT32 ? sel : sel.toType(dtype, false);
    }

    /**
     * Causal and padding mask, additive [B, 1, T, T]: 0 where query i may see key j (j ≤ i and j real), otherwise the
     * compute dtype's most negative finite value as Hugging Face uses (not -inf, which would make a row with no visible
     * key NaN). With {@code queries}, only row r's query at {@code queries[r]}: [B, 1, 1, T].
     */
    private NDArray additiveMask(StepContext ctx, TokenBatch batch, int[] queries) {
        int b = batch.batchSize(), t = batch.seqLen(), tq = queries == null ? t : 1;
        float[] mask = new float[b * tq * t];
        float min = ctx.dtype() == DataType.FLOAT16 ? -65504f : -Float.MAX_VALUE;
        long[] am = batch.attentionMask();
        for (int r = 0; r < b; r++) {
            for (int q = 0; q < tq; q++) {
                int i = queries == null ? q : queries[r], base = (r * tq + q) * t;
                for (int j = 0; j < t; j++) {
                    mask[base + j] = (j <= i && am[r * t + j] == 1) ? 0f : min;
                }
            }
        }
        NDArray m32 = ctx.manager().create(mask, new Shape(b, 1, tq, t));
        return ctx.dtype() == DataType.FLOAT32 ? m32 : m32.toType(ctx.dtype(), false);
    }

    @Override
    public void close() {
        for (String name : List.copyOf(adapters.keySet())) removeAdapter(name);
        manager.close();
    }
}
