package org.clinlora.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.HfModelDir;
import org.clinlora.model.io.NdArrays;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.Weights;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.lora.ClassifierHead;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraLinear;

/**
 * The BERT encoder as Hugging Face's {@code BertForSequenceClassification} computes it, every Linear a
 * {@link LoraLinear}:
 *
 * <pre>
 * input_ids → embeddings (word + position + type, LayerNorm) → [post-LN encoder layer × N]
 *          → pooler (dense + tanh on [CLS]) → dropout → classifier          (classification logits)
 * </pre>
 *
 * The paper's comparison models (BioClinicalBERT, BlueBERT, CORe, UmlsBERT) are this architecture; they are adapted
 * with LoRA like LLaMA (PEFT keys {@code base_model.model.bert.encoder.layer.N.attention.self.query…}, the classifier
 * as {@code modules_to_save}) or fully fine-tuned ({@link #fullFineTuning}) and saved as a model directory.
 *
 * <p>Checkpoints are read with or without the {@code bert.} prefix (a BertForSequenceClassification /
 * BertForPreTraining save, or a bare BertModel); pre-training heads ({@code cls.*}) and the {@code position_ids} buffer
 * are ignored as Hugging Face ignores them; UmlsBERT's semantic-type embeddings are refused unless the user opts in to
 * ignoring them ({@link BertCheckpoint}). fp32 only: BERT-base has 110M parameters and the paper's baselines train in
 * fp32.
 */
public final class BertModel implements BaseModel {
    /** Module paths of the encoder layers, as PEFT names them under BertForSequenceClassification. */
    public static final String LAYER_PREFIX = "bert.encoder.layer.";

    /** The folders whose ignored semantic-type embeddings were already reported (a scorer reloads a base). */
    private static final Set<Path> WARNED = ConcurrentHashMap.newKeySet();

    private final BertConfig config;
    private final Compute compute;
    private final NDManager manager;
    private final BertEmbeddings embeddings;
    private final List<BertLayer> layers;
    private final LoraLinear pooler;
    private final Map<String, LoraLinear> projections;
    /**
     * Every base tensor by Hugging Face name (with the {@code bert.} prefix), what full fine-tuning trains and saves.
     */
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();

    private final Map<String, LoraAdapter> adapters = new ConcurrentHashMap<>();
    private volatile ClassifierHead.Weights classifier;

    private BertModel(BertConfig config, Compute compute, NDManager manager, Weights w, Path dir) {
        this.config = config;
        this.compute = compute;
        this.manager = manager;
        boolean prefixed = w.names().contains("bert.embeddings.word_embeddings.weight");
        Map<String, long[]> stored = new LinkedHashMap<>();
        for (String name : w.names()) stored.put(name, w.entry(name).shape());
        Map<String, long[]> shapes = BertCheckpoint.canonicalNames(stored);
        BertCheckpoint.check(config, shapes);
        warnIgnored(dir, BertCheckpoint.semanticTypeEmbeddings(shapes));
        Function<String, NDArray> t = name -> {
            NDArray a = w.toNDArray(manager, BertCheckpoint.storedName(name, prefixed), DataType.FLOAT32);
            parameters.put(name, a);
            return a;
        };
        this.embeddings = new BertEmbeddings(
                config,
                t.apply("bert.embeddings.word_embeddings.weight"),
                t.apply("bert.embeddings.position_embeddings.weight"),
                t.apply("bert.embeddings.token_type_embeddings.weight"),
                t.apply("bert.embeddings.LayerNorm.weight"),
                t.apply("bert.embeddings.LayerNorm.bias"));
        Map<String, LoraLinear> proj = new LinkedHashMap<>();
        List<BertLayer> ls = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = LAYER_PREFIX + i + ".";
            ls.add(new BertLayer(
                    config,
                    linear(t, p + "attention.self.query", proj),
                    linear(t, p + "attention.self.key", proj),
                    linear(t, p + "attention.self.value", proj),
                    linear(t, p + "attention.output.dense", proj),
                    t.apply(p + "attention.output.LayerNorm.weight"),
                    t.apply(p + "attention.output.LayerNorm.bias"),
                    linear(t, p + "intermediate.dense", proj),
                    linear(t, p + "output.dense", proj),
                    t.apply(p + "output.LayerNorm.weight"),
                    t.apply(p + "output.LayerNorm.bias")));
        }
        this.layers = Collections.unmodifiableList(ls);
        this.pooler = linear(t, "bert.pooler.dense", proj);
        this.projections = Collections.unmodifiableMap(proj);
        this.classifier = shapes.containsKey("classifier.weight")
                ? new ClassifierHead.Weights(t.apply("classifier.weight"), t.apply("classifier.bias"))
                : null;
    }

    private static LoraLinear linear(Function<String, NDArray> t, String module, Map<String, LoraLinear> out) {
        LoraLinear l = new LoraLinear(module, t.apply(module + ".weight"), t.apply(module + ".bias"));
        out.put(module, l);
        return l;
    }

    /** Loads a Hugging Face BERT directory (config.json with model_type bert + safetensors). */
    public static BertModel load(Path dir, Compute compute) throws IOException {
        if (compute.half()) {
            throw new IllegalArgumentException(
                    "BERT models run in fp32 only (precision " + compute.dtype() + " was asked): "
                            + "a BERT-base encoder is 110M parameters and the paper's baselines train in fp32");
        }
        BertConfig config = (BertConfig) BaseModelConfig.read(dir.resolve(HfModelDir.CONFIG));
        NDManager manager = NDManager.newBaseManager(compute.device());
        try (Weights w = HfModelDir.openWeights(dir)) {
            return new BertModel(config, compute, manager, w, dir);
        } catch (IllegalArgumentException e) {
            manager.close();
            // Name the folder: a scorer or an experiment loads several bases, and the check's message names tensors.
            throw new IllegalArgumentException(dir + ": " + e.getMessage(), e);
        } catch (RuntimeException | IOException e) {
            manager.close();
            throw e;
        }
    }

    /** Once per folder: a UmlsBERT's semantic-type embeddings were left out, by the user's choice. */
    private static void warnIgnored(Path dir, List<String> semanticTypes) {
        if (!semanticTypes.isEmpty() && WARNED.add(dir.toAbsolutePath().normalize())) {
            System.err.println("clinlora: warning: " + dir + ": ignoring UmlsBERT's semantic-type embeddings "
                    + semanticTypes + " (" + BertCheckpoint.IGNORE_SEMANTIC_TYPES
                    + "=true): the encoder runs without UMLS semantic types, as transformers' from_pretrained does");
        }
    }

    @Override
    public BertConfig config() {
        return config;
    }

    @Override
    public Compute compute() {
        return compute;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public StepContext newStep(boolean training) {
        JniUtils.setGradMode(false);
        return new StepContext(manager, compute.computeDtype(), training);
    }

    @Override
    public Map<String, LoraLinear> projections() {
        return projections;
    }

    // ---- adapters -------------------------------------------------------------------------------------------

    @Override
    public void addAdapter(LoraAdapter adapter) {
        if (adapters.putIfAbsent(adapter.name(), adapter) != null) {
            throw new IllegalArgumentException("an adapter named '" + adapter.name() + "' is already loaded");
        }
        try {
            adapter.attachTo(projections);
        } catch (RuntimeException e) {
            adapters.remove(adapter.name());
            throw e;
        }
    }

    @Override
    public void removeAdapter(String name) {
        LoraAdapter a = adapters.remove(name);
        if (a == null) return;
        a.detachFrom(projections);
        a.close();
    }

    @Override
    public LoraAdapter adapter(String name) {
        LoraAdapter a = adapters.get(name);
        if (a == null) throw new IllegalArgumentException("no adapter named '" + name + "' is loaded");
        return a;
    }

    @Override
    public Set<String> adapterNames() {
        return Collections.unmodifiableSet(adapters.keySet());
    }

    @Override
    public void merge(String adapter) {
        for (String module : adapter(adapter).weights().keySet())
            projections.get(module).merge(adapter);
    }

    @Override
    public void unmerge(String adapter) {
        for (String module : adapter(adapter).weights().keySet())
            projections.get(module).unmerge(adapter);
    }

    // ---- forward --------------------------------------------------------------------------------------------

    @Override
    public NDArray hiddenStates(StepContext ctx, TokenBatch batch, ActiveAdapters active) {
        List<NDArray> all = allHiddenStates(ctx, batch, active);
        return all.get(all.size() - 1);
    }

    /** The embeddings' output and every layer's, [B, T, hidden] each: Hugging Face's {@code output_hidden_states}. */
    public List<NDArray> allHiddenStates(StepContext ctx, TokenBatch batch, ActiveAdapters active) {
        return allHiddenStates(ctx, batch, null, active);
    }

    /**
     * The same with Hugging Face's {@code token_type_ids} (row-major [B, T], each below {@code type_vocab_size}; null:
     * type 0 everywhere, what a single-sequence row and every other method here use).
     */
    public List<NDArray> allHiddenStates(
            StepContext ctx, TokenBatch batch, long[] tokenTypeIds, ActiveAdapters active) {
        for (String a : active.names()) adapter(a);
        NDArray mask = paddingMask(ctx, batch);
        List<NDArray> out = new ArrayList<>();
        NDArray x = embeddings.forward(ctx, batch, tokenTypeIds);
        out.add(x);
        for (BertLayer layer : layers) {
            x = layer.forward(ctx, x, mask, active);
            out.add(x);
        }
        return out;
    }

    @Override
    public NDArray pooledHiddenStates(StepContext ctx, TokenBatch batch, ActiveAdapters active) {
        return pool(ctx, hiddenStates(ctx, batch, active), batch, active);
    }

    /**
     * Classification logits [B, num_labels] in float32 (inference) of rows with {@code token_type_ids} (row-major [B,
     * T]; null: type 0 everywhere, the same as {@link #classify(StepContext, TokenBatch, List)}): a sentence-pair input
     * as a Hugging Face tokenizer encodes it.
     */
    public NDArray classify(StepContext ctx, TokenBatch batch, long[] tokenTypeIds, List<String> active) {
        ActiveAdapters all = ActiveAdapters.all(active);
        List<NDArray> hidden = allHiddenStates(ctx, batch, tokenTypeIds, all);
        return scorePooled(pool(ctx, hidden.get(hidden.size() - 1), batch, all), scoreHead(active));
    }

    /**
     * BertPooler on hidden states: tanh(dense(h[:, 0])), the [CLS] position; while training, followed by the dropout
     * BertForSequenceClassification applies before its classifier.
     */
    @Override
    public NDArray pool(StepContext ctx, NDArray hidden, TokenBatch batch, ActiveAdapters active) {
        // [B, 1, hidden] through the pooler, so per-row adapter masks ([B, 1, 1]) broadcast as in the encoder layers.
        NDArray cls = hidden.get(new NDIndex(":, 0:1, :"));
        NDArray pooled = pooler.forward(ctx, cls, active).tanh().reshape(batch.batchSize(), config.hiddenSize());
        return BertLayer.dropout(ctx, pooled, config.effectiveClassifierDropout());
    }

    @Override
    public NDArray scorePooled(NDArray pooled, ClassifierHead.Weights head) {
        NDArray logits = head.bias() == null
                ? Linear.linear(pooled, head.weight()).singletonOrThrow()
                : Linear.linear(pooled, head.weight(), head.bias()).singletonOrThrow();
        return logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
    }

    /** The checkpoint's (or full fine-tuning's) {@code classifier}, or null. */
    @Override
    public ClassifierHead.Weights baseHead() {
        return classifier;
    }

    /** Additive [B, 1, 1, T]: 0 for real tokens, float32's minimum for padding, as BERT's extended attention mask. */
    private static NDArray paddingMask(StepContext ctx, TokenBatch batch) {
        int b = batch.batchSize(), t = batch.seqLen();
        float[] m = new float[b * t];
        long[] am = batch.attentionMask();
        for (int i = 0; i < m.length; i++) m[i] = am[i] == 1 ? 0f : -Float.MAX_VALUE;
        return ctx.manager().create(m, new Shape(b, 1, 1, t));
    }

    // ---- full fine-tuning -----------------------------------------------------------------------------------

    /**
     * Every base tensor trainable, with a classifier for {@code numLabels} (the checkpoint's own when it has one of
     * that size, else new: weight normal(0, initializer_range) from a seeded generator, bias zero, as Hugging Face
     * initialises a Linear).
     */
    @Override
    public synchronized Map<String, NDArray> fullFineTuning(int numLabels, long seed) {
        if (!adapters.isEmpty())
            throw new IllegalStateException("full fine-tuning trains the base itself: remove the adapters first");
        if (classifier == null || classifier.numLabels() != numLabels) {
            if (classifier != null) {
                parameters.remove("classifier.weight").close();
                parameters.remove("classifier.bias").close();
            }
            Random g = new Random(seed ^ 0x5DEECE66DL);
            float[] w = new float[numLabels * config.hiddenSize()];
            for (int i = 0; i < w.length; i++) w[i] = (float) (g.nextGaussian() * config.initializerRange());
            NDArray weight = manager.create(w, new Shape(numLabels, config.hiddenSize()));
            NDArray bias = manager.zeros(new Shape(numLabels));
            parameters.put("classifier.weight", weight);
            parameters.put("classifier.bias", bias);
            classifier = new ClassifierHead.Weights(weight, bias);
        }
        for (NDArray p : parameters.values()) p.setRequiresGradient(true);
        return Collections.unmodifiableMap(parameters);
    }

    @Override
    public void saveModel(Path dir, List<String> labelNames) throws IOException {
        if (classifier == null) throw new IllegalStateException("the model has no classifier to save");
        if (labelNames.size() != classifier.numLabels()) {
            throw new IllegalArgumentException(
                    labelNames.size() + " label names for a classifier of " + classifier.numLabels());
        }
        Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : parameters.entrySet())
            tensors.put(e.getKey(), NdArrays.toTensor(e.getValue()));
        HfModelDir.write(dir, config.withLabels(labelNames), tensors, Long.MAX_VALUE);
    }

    @Override
    public void close() {
        for (String name : List.copyOf(adapters.keySet())) removeAdapter(name);
        manager.close();
    }
}
