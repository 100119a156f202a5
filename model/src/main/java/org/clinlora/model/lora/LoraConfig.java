package org.clinlora.model.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.clinlora.model.base.BaseModelConfig;

/**
 * A PEFT {@code LoraConfig} as stored in {@code adapter_config.json}. Fields PEFT has but this project does not
 * implement (DoRA, rank/alpha patterns, biases, layer subsets) are refused when set, so an adapter is never applied
 * differently from how PEFT would apply it.
 */
public record LoraConfig(
        String taskType,
        int r,
        double loraAlpha,
        double loraDropout,
        List<String> targetModules,
        List<String> modulesToSave,
        boolean useRslora,
        String baseModelNameOrPath) {

    /** The projections of a LLaMA decoder layer that LoRA can wrap, in Hugging Face's names. */
    public static final List<String> LLAMA_PROJECTIONS =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    /**
     * The Linear modules of a BERT encoder LoRA can wrap, by PEFT's suffix match: {@code dense} is the attention
     * output, intermediate, output and pooler projections alike, as PEFT would wrap every one of them.
     */
    public static final List<String> BERT_PROJECTIONS = List.of("query", "key", "value", "dense");

    public static final Set<String> TASK_TYPES = Set.of("CAUSAL_LM", "SEQ_CLS");
    /**
     * The only module this project saves with an adapter: the classification head of LlamaForSequenceClassification.
     */
    public static final String SCORE = "score";
    /** BERT's classification head ({@code BertForSequenceClassification.classifier}). */
    public static final String CLASSIFIER = "classifier";

    private static final ObjectMapper JSON = new ObjectMapper();

    public LoraConfig {
        require(TASK_TYPES.contains(taskType), "task_type must be CAUSAL_LM or SEQ_CLS, got " + taskType);
        require(r > 0, "r must be positive, got " + r);
        require(loraAlpha > 0, "lora_alpha must be positive, got " + loraAlpha);
        require(loraDropout >= 0 && loraDropout < 1, "lora_dropout must be in [0, 1), got " + loraDropout);
        require(targetModules != null && !targetModules.isEmpty(), "target_modules must name at least one projection");
        for (String m : targetModules) {
            require(
                    LLAMA_PROJECTIONS.contains(m) || BERT_PROJECTIONS.contains(m),
                    "target module '" + m + "' is neither a LLaMA projection " + LLAMA_PROJECTIONS + " nor a BERT one "
                            + BERT_PROJECTIONS);
        }
        modulesToSave = modulesToSave == null ? List.of() : List.copyOf(modulesToSave);
        for (String m : modulesToSave) {
            // PEFT lists both names for SEQ_CLS: LLaMA's head is 'score', BERT's 'classifier'; the base decides which
            // exists.
            require(
                    m.equals(SCORE) || m.equals(CLASSIFIER),
                    "modules_to_save may only hold 'score' or 'classifier', got '" + m + "'");
        }
        targetModules = List.copyOf(targetModules);
    }

    /**
     * The tensor shapes adapter_model.safetensors must hold for a base model with {@code base}'s dimensions, by PEFT
     * key, without the classification head (whose row count is the number of labels).
     */
    public Map<String, long[]> expectedShapes(BaseModelConfig base) {
        Map<String, long[]> out = new LinkedHashMap<>();
        base.projectionShapes().forEach((module, outIn) -> {
            if (!targetModules.contains(module.substring(module.lastIndexOf('.') + 1))) return;
            String key = LoraAdapter.PEFT_PREFIX + module;
            out.put(key + ".lora_A.weight", new long[] {r, outIn[1]});
            out.put(key + ".lora_B.weight", new long[] {outIn[0], r});
        });
        return out;
    }

    /** PEFT's scaling: lora_alpha / r (or / sqrt(r) with rsLoRA). */
    public double scaling() {
        return useRslora ? loraAlpha / Math.sqrt(r) : loraAlpha / r;
    }

    /**
     * Whether the adapter saves a classification head (PEFT's SEQ_CLS {@code modules_to_save}: score or classifier).
     */
    public boolean savesScore() {
        return modulesToSave.contains(SCORE) || modulesToSave.contains(CLASSIFIER);
    }

    public LoraConfig withBaseModel(String base) {
        return new LoraConfig(taskType, r, loraAlpha, loraDropout, targetModules, modulesToSave, useRslora, base);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("adapter_config.json: " + message);
    }

    /** Fields this class reads into the adapter it builds. */
    private static final Set<String> UNDERSTOOD = Set.of(
            "peft_type",
            "task_type",
            "r",
            "lora_alpha",
            "lora_dropout",
            "target_modules",
            "modules_to_save",
            "use_rslora",
            "base_model_name_or_path");
    /**
     * Fields that never change what a trained adapter computes: bookkeeping, runtime hints, options of unused features.
     */
    private static final Set<String> INERT = Set.of(
            "revision",
            "inference_mode",
            "auto_mapping",
            "peft_version",
            "runtime_config",
            "megatron_core",
            "qalora_group_size",
            "eva_config");
    /**
     * Initialisations that only choose starting values; PiSSA, OLoRA, CorDA, LoftQ and LoRA-GA also rewrite the base.
     */
    private static final Set<String> INERT_INITS = Set.of("true", "false", "gaussian", "eva", "orthogonal");
    /** Fields that change the computation: accepted only at PEFT's default (false, "none", null or empty). */
    private static final Set<String> DEFAULT_ONLY = Set.of(
            "fan_in_fan_out",
            "bias",
            "use_dora",
            "rank_pattern",
            "alpha_pattern",
            "layers_to_transform",
            "layers_pattern",
            "megatron_config",
            "trainable_token_indices",
            "loftq_config",
            "corda_config",
            "lora_ga_config",
            "velora_config",
            "alora_invocation_tokens",
            "use_qalora",
            "monteclora_config",
            "layer_replication",
            "lora_bias",
            "target_parameters",
            "use_bdlora",
            "arrow_config",
            "kasa_config",
            "ensure_weight_tying",
            "exclude_modules",
            "init_lora_weights");

    /**
     * Reads adapter_config.json against an allow-list of PEFT's LoraConfig fields: each is understood, known to be
     * inert, or accepted only at its default; any other field or value is refused by name, so an adapter PEFT would
     * apply differently (DoRA, PiSSA, a layer subset, a field added by a newer PEFT) is never loaded as plain LoRA.
     */
    public static LoraConfig fromJson(JsonNode n) {
        require(n != null && n.isObject(), "not a JSON object");
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            if (UNDERSTOOD.contains(name) || INERT.contains(name)) continue;
            require(
                    DEFAULT_ONLY.contains(name),
                    "unknown field '" + name + "': not a PEFT LoraConfig field this project knows, so it is "
                            + "refused rather than ignored");
            require(
                    atDefault(name, f.getValue()),
                    name + " = " + f.getValue() + " is not supported (only PEFT's default)");
        }
        require(
                "LORA".equals(n.path("peft_type").asText("LORA")),
                "peft_type must be LORA, got " + n.path("peft_type").asText());
        require(n.has("r") && n.get("r").canConvertToInt(), "missing integer r");
        return new LoraConfig(
                n.path("task_type").asText("CAUSAL_LM"),
                n.get("r").asInt(),
                n.path("lora_alpha").asDouble(8),
                n.path("lora_dropout").asDouble(0),
                targetModules(n.get("target_modules")),
                strings(n.get("modules_to_save"), "modules_to_save"),
                n.path("use_rslora").asBoolean(false),
                n.hasNonNull("base_model_name_or_path")
                        ? n.get("base_model_name_or_path").asText()
                        : null);
    }

    private static boolean atDefault(String field, JsonNode v) {
        return switch (field) {
            case "bias" -> v.isNull() || v.asText().equals("none");
            case "init_lora_weights" -> INERT_INITS.contains(v.asText());
            default -> isEmpty(v) || (v.isBoolean() && !v.asBoolean());
        };
    }

    private static boolean isEmpty(JsonNode v) {
        return v == null || v.isNull() || (v.isContainerNode() && v.isEmpty());
    }

    private static List<String> targetModules(JsonNode v) {
        require(v != null && !v.isNull(), "missing target_modules");
        if (v.isTextual()) {
            if (v.asText().equals("all-linear")) return LLAMA_PROJECTIONS;
            throw new IllegalArgumentException("adapter_config.json: target_modules as a regular expression ('"
                    + v.asText() + "') is not supported; list the projections");
        }
        return strings(v, "target_modules");
    }

    private static List<String> strings(JsonNode v, String field) {
        if (v == null || v.isNull()) return List.of();
        require(v.isArray(), field + " must be a list");
        List<String> out = new ArrayList<>();
        for (Iterator<JsonNode> it = v.elements(); it.hasNext(); ) {
            JsonNode e = it.next();
            require(e.isTextual(), field + " must hold strings");
            out.add(e.asText());
        }
        return out;
    }

    /**
     * The adapter_config.json that PEFT writes for this config (PEFT loads it back with LoraConfig.from_pretrained).
     */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("peft_type", "LORA");
        n.put("task_type", taskType);
        n.put("r", r);
        n.put("lora_alpha", loraAlpha);
        n.put("lora_dropout", loraDropout);
        ArrayNode t = n.putArray("target_modules");
        targetModules.forEach(t::add);
        if (modulesToSave.isEmpty()) {
            n.putNull("modules_to_save");
        } else {
            ArrayNode m = n.putArray("modules_to_save");
            modulesToSave.forEach(m::add);
        }
        n.put("bias", "none");
        n.put("fan_in_fan_out", false);
        n.put("inference_mode", true);
        n.put("init_lora_weights", true);
        n.put("use_rslora", useRslora);
        n.put("use_dora", false);
        n.putNull("layers_to_transform");
        n.putNull("layers_pattern");
        n.set("rank_pattern", JSON.valueToTree(Map.of()));
        n.set("alpha_pattern", JSON.valueToTree(Map.of()));
        n.putNull("revision");
        if (baseModelNameOrPath == null) n.putNull("base_model_name_or_path");
        else n.put("base_model_name_or_path", baseModelNameOrPath);
        return n;
    }
}
