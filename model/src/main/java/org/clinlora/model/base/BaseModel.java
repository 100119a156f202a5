package org.clinlora.model.base;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.clinlora.model.bert.BertConfig;
import org.clinlora.model.bert.BertModel;
import org.clinlora.model.io.HfModelDir;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.lora.ClassifierHead;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraLinear;

/**
 * A loaded base model as the trainer, the scorer and the experiment use it, whichever architecture it is: a frozen
 * network whose Linear projections are {@link LoraLinear}s that adapters stack on, a sequence classifier over
 * {@code [B, T]} token rows, and (LLaMA) a causal LM. {@link #load} picks the implementation from config.json's
 * {@code model_type}; nothing outside the model library asks which family it holds.
 *
 * <p>Classification is split where a scorer batching several tasks needs it: {@link #pooledHiddenStates} gives the one
 * vector per row a head reads (LLaMA: the last real token's final hidden state; BERT: the pooler's tanh over
 * {@code [CLS]}), and {@link #scorePooled} applies one head to it.
 */
public sealed interface BaseModel extends AutoCloseable permits LlamaModel, BertModel {

    /** Loads a Hugging Face model directory (config.json + safetensors) onto the given device and precision. */
    static BaseModel load(Path dir, Compute compute) throws IOException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": not a model directory");
        BaseModelConfig config = BaseModelConfig.read(dir.resolve(HfModelDir.CONFIG));
        return config instanceof BertConfig ? BertModel.load(dir, compute) : LlamaModel.load(dir, compute);
    }

    BaseModelConfig config();

    Compute compute();

    NDManager manager();

    /**
     * A fresh step whose intermediates are freed when it closes; grad mode is off until a training step turns it on.
     */
    StepContext newStep(boolean training);

    /** Every wrapped projection by module path (Hugging Face names). */
    Map<String, LoraLinear> projections();

    /** Where this architecture keeps its classification head. */
    default ClassifierHead classifierHead() {
        return config().classifierHead();
    }

    // ---- adapters -------------------------------------------------------------------------------------------

    void addAdapter(LoraAdapter adapter);

    void removeAdapter(String name);

    LoraAdapter adapter(String name);

    Set<String> adapterNames();

    void merge(String adapter);

    void unmerge(String adapter);

    // ---- forward --------------------------------------------------------------------------------------------

    /** The last layer's hidden states [B, T, hidden] with the given adapters active (deltas summed). */
    default NDArray hiddenStates(StepContext ctx, TokenBatch batch, List<String> active) {
        return hiddenStates(ctx, batch, ActiveAdapters.all(active));
    }

    NDArray hiddenStates(StepContext ctx, TokenBatch batch, ActiveAdapters active);

    /**
     * What a classification head reads, one vector per row [B, hidden] (inference; may skip work a head never reads).
     */
    NDArray pooledHiddenStates(StepContext ctx, TokenBatch batch, ActiveAdapters active);

    /** The same from hidden states already computed (training: differentiable, with the classifier's dropout). */
    NDArray pool(StepContext ctx, NDArray hidden, TokenBatch batch, ActiveAdapters active);

    /** One head on pooled rows: logits [B, num_labels] in float32. */
    NDArray scorePooled(NDArray pooled, ClassifierHead.Weights head);

    /** The checkpoint's own classification head (a sequence-classification export, a fine-tuned BERT), or null. */
    ClassifierHead.Weights baseHead();

    /** The head that applies to this adapter stack: the last active adapter that saves one, else the base's own. */
    default ClassifierHead.Weights scoreHead(List<String> active) {
        for (int i = active.size() - 1; i >= 0; i--) {
            ClassifierHead.Weights h = adapter(active.get(i)).head();
            if (h != null) return h;
        }
        ClassifierHead.Weights base = baseHead();
        if (base != null) return base;
        throw new IllegalArgumentException("no active adapter carries a classification head (modules_to_save: ["
                + classifierHead().module() + "]) and the base has none");
    }

    default boolean hasScoreHead(List<String> active) {
        if (baseHead() != null) return true;
        for (String a : active) if (adapter(a).head() != null) return true;
        return false;
    }

    /** Classification logits [B, num_labels] in float32 (inference). */
    default NDArray classify(StepContext ctx, TokenBatch batch, List<String> active) {
        return scorePooled(pooledHiddenStates(ctx, batch, ActiveAdapters.all(active)), scoreHead(active));
    }

    /** Classification logits from hidden states already computed, with the stack's head (training and evaluation). */
    default NDArray classify(StepContext ctx, NDArray hidden, TokenBatch batch, List<String> active) {
        return scorePooled(
                pool(ctx, hidden, batch, ActiveAdapters.all(active)),
                scoreHead(active).in(ctx));
    }

    /**
     * {@code lm_head.weight} [vocab, hidden], frozen, for a loss that runs the head itself ({@code Losses.causalLm} in
     * chunks); null where only {@link #lmLogits} computes it.
     */
    default NDArray lmHeadWeight() {
        return null;
    }

    /** Causal-LM logits [B, T, vocab] in float32; only architectures whose config says {@code causalLm()}. */
    default NDArray lmLogits(StepContext ctx, NDArray hidden) {
        throw new UnsupportedOperationException(
                config().modelType() + " models are encoders: there is no causal-LM head to train or score");
    }

    /**
     * Whether a training micro-batch may be computed as data-parallel parts on a CPU ({@link CpuDataParallel}): only
     * where measured faster. (BERT's attention dropout would draw its [B, heads, T, T] masks from a part's Java
     * stream.)
     */
    default boolean trainsInParts() {
        return false;
    }

    /** The loss of one micro-batch from its hidden states [B, T, hidden], built in the given step. */
    @FunctionalInterface
    interface Head {
        NDArray loss(StepContext ctx, NDArray hidden);
    }

    /**
     * Back-propagates one micro-batch by recomputing each layer (gradient checkpointing), the path of a half-precision
     * base; architectures without it refuse a half-precision training run before it starts.
     */
    default float backwardByLayer(
            StepContext ctx, TokenBatch batch, ActiveAdapters active, Head head, float lossMultiplier, int seed) {
        throw new UnsupportedOperationException(
                config().modelType() + " models train in fp32 only (no layer recomputation)");
    }

    // ---- full fine-tuning -----------------------------------------------------------------------------------

    /**
     * Every parameter of the base by its Hugging Face name, made trainable, for full fine-tuning (the paper's BERT
     * baselines), with a classification head of {@code numLabels} created when the checkpoint has none.
     */
    default Map<String, NDArray> fullFineTuning(int numLabels, long seed) {
        throw new UnsupportedOperationException(config().modelType()
                + " bases are adapted with LoRA only; full fine-tuning is for BERT-family baselines");
    }

    /**
     * Writes the (fully fine-tuned) base as a Hugging Face model directory: config.json with its labels +
     * model.safetensors.
     */
    default void saveModel(Path dir, List<String> labelNames) throws IOException {
        throw new UnsupportedOperationException(config().modelType() + " bases are not saved by this project");
    }

    @Override
    void close();
}
