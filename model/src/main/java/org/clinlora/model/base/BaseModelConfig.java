package org.clinlora.model.base;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.clinlora.model.bert.BertConfig;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.lora.ClassifierHead;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.ClinicalTokenizer;

/**
 * A base model's {@code config.json}, whichever architecture it names in {@code model_type}: what the
 * family-independent code (trainer, scorer, registry checks, the experiment) needs to know. Each architecture's own
 * fields stay in its record ({@link LlamaConfig}, {@link BertConfig}).
 */
public sealed interface BaseModelConfig permits LlamaConfig, BertConfig {

    /** Hugging Face's {@code model_type}: {@code llama} or {@code bert}. */
    String modelType();

    int vocabSize();

    int hiddenSize();

    int numHiddenLayers();

    int numAttentionHeads();

    int intermediateSize();

    /** Every weight of the checkpoint (embeddings, layers, norms, heads): what a loaded base holds in memory. */
    long parameterCount();

    int maxPositionEmbeddings();

    Integer padTokenId();

    double initializerRange();

    /** Whether the architecture has a language-modelling head this project trains (LLaMA: the Clinical LoRA). */
    boolean causalLm();

    /** Every Linear module LoRA may wrap, by Hugging Face module path, with its [out_features, in_features]. */
    Map<String, long[]> projectionShapes();

    /** The LoRA targets of the paper's recipe for this architecture (q_proj+v_proj for LLaMA, query+value for BERT). */
    List<String> defaultLoraTargets();

    /** Where the classification head lives (LLaMA's {@code score}, BERT's {@code classifier}). */
    ClassifierHead classifierHead();

    /**
     * Why a training run cannot run on this architecture, or null when it can: the one place that says what each family
     * trains (LLaMA: LoRA, causal LM or classification, fp32 or fp16; BERT: classification only, LoRA or full
     * fine-tuning, fp32). {@code loraTargets} null: the architecture's defaults.
     */
    String cannotTrain(TaskKind kind, boolean fullFineTuning, boolean halfPrecision, List<String> loraTargets);

    /** The ids rows are made with; {@code tokenizer} is the model's own (BERT's [CLS]/[SEP] come from it). */
    SpecialIds specialIds(ClinicalTokenizer tokenizer);

    /**
     * Checks a checkpoint's tensor names and shapes (from safetensors headers) against this config before anything is
     * loaded; the model library's load and the registry's check of a pushed model run the same rule.
     */
    void checkCheckpoint(Map<String, long[]> shapes);

    /** The config.json Hugging Face writes for this model. */
    ObjectNode toJson();

    static BaseModelConfig read(Path configJson) throws IOException {
        if (!Files.isRegularFile(configJson)) throw new IllegalArgumentException(configJson + ": no such file");
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(configJson.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(configJson + ": not valid JSON: " + e.getMessage());
        }
        return fromJson(n);
    }

    /** Dispatches on {@code model_type} (absent: llama, as this project's first checkpoints were written). */
    static BaseModelConfig fromJson(JsonNode n) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("config.json: not a JSON object");
        String type = n.path("model_type").asText("llama");
        return switch (type) {
            case "llama" -> LlamaConfig.fromJson(n);
            case "bert" -> BertConfig.fromJson(n);
            default ->
                throw new IllegalArgumentException(
                        "config.json: model_type '" + type + "' is not supported (llama or bert)");
        };
    }
}
