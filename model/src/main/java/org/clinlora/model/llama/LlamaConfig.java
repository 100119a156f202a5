package org.clinlora.model.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.base.ConfigJson;
import org.clinlora.model.base.SpecialIds;
import org.clinlora.model.lora.ClassifierHead;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.ClinicalTokenizer;

/**
 * A Hugging Face LLaMA {@code config.json}. Values this implementation cannot honour (another architecture, biases, a
 * rope_scaling type we do not implement, a hidden_act other than silu) are refused with a clear message rather than
 * silently computing something else.
 */
public record LlamaConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        Integer padTokenId,
        Integer bosTokenId,
        Integer eosTokenId,
        String torchDtype,
        double initializerRange)
        implements BaseModelConfig {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> DTYPES = Set.of("float32", "float16", "bfloat16");

    @Override
    public long parameterCount() {
        long h = hiddenSize, kv = (long) numKeyValueHeads * headDim, q = (long) numAttentionHeads * headDim;
        long attention = h * q + 2 * h * kv + q * h; // q, k, v, o projections, no biases
        long mlp = 3 * h * intermediateSize; // gate, up, down
        long layer = attention + mlp + 2 * h; // + input and post-attention RMSNorm
        long embeddings = (long) vocabSize * h;
        return embeddings + numHiddenLayers * layer + h + (tieWordEmbeddings ? 0 : embeddings);
    }

    /** {@code rope_scaling}: null/"default", "linear" or "llama3" (Llama 3.1's frequency-dependent scaling). */
    public record RopeScaling(
            String type,
            double factor,
            double lowFreqFactor,
            double highFreqFactor,
            int originalMaxPositionEmbeddings) {}

    public LlamaConfig {
        require(vocabSize > 0, "vocab_size must be positive");
        require(hiddenSize > 0, "hidden_size must be positive");
        require(intermediateSize > 0, "intermediate_size must be positive");
        require(numHiddenLayers > 0, "num_hidden_layers must be positive");
        require(numAttentionHeads > 0, "num_attention_heads must be positive");
        require(
                numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads == 0,
                "num_attention_heads (" + numAttentionHeads + ") must be a multiple of num_key_value_heads ("
                        + numKeyValueHeads + ")");
        require(headDim > 0 && headDim % 2 == 0, "head_dim must be positive and even, got " + headDim);
        require(rmsNormEps > 0, "rms_norm_eps must be positive");
        require(ropeTheta > 0, "rope_theta must be positive");
        require(DTYPES.contains(torchDtype), "torch_dtype must be one of " + DTYPES + ", got " + torchDtype);
        require(padTokenId == null || (padTokenId >= 0 && padTokenId < vocabSize), "pad_token_id out of vocabulary");
    }

    private static void require(boolean ok, String message) {
        ConfigJson.require(ok, message);
    }

    /**
     * Token ids a dataset is built with: the config's, else LLaMA's {@code <s>}=1 and {@code </s>}=2; rows are not
     * closed.
     */
    public SpecialIds specialIds() {
        int bos = bosTokenId == null ? 1 : bosTokenId, eos = eosTokenId == null ? 2 : eosTokenId;
        // LLaMA checkpoints often have no pad id; padding with </s> is what Hugging Face users do then.
        return new SpecialIds(bos, eos, padTokenId == null ? eos : padTokenId, -1);
    }

    @Override
    public SpecialIds specialIds(ClinicalTokenizer tokenizer) {
        return specialIds();
    }

    @Override
    public String modelType() {
        return "llama";
    }

    @Override
    public String cannotTrain(TaskKind kind, boolean fullFineTuning, boolean halfPrecision, List<String> loraTargets) {
        if (fullFineTuning)
            return "full fine-tuning is for the BERT-family baselines; LLaMA bases are adapted with LoRA";
        if (loraTargets != null && !LoraConfig.LLAMA_PROJECTIONS.containsAll(loraTargets)) {
            return "lora.targetModules " + loraTargets + " are not LLaMA projections " + LoraConfig.LLAMA_PROJECTIONS;
        }
        return null;
    }

    @Override
    public void checkCheckpoint(Map<String, long[]> shapes) {
        LlamaCheckpoint.check(this, shapes);
    }

    @Override
    public boolean causalLm() {
        return true;
    }

    @Override
    public Map<String, long[]> projectionShapes() {
        long h = hiddenSize,
                q = (long) numAttentionHeads * headDim,
                kv = (long) numKeyValueHeads * headDim,
                ffn = intermediateSize;
        Map<String, long[]> out = new LinkedHashMap<>();
        for (int i = 0; i < numHiddenLayers; i++) {
            String p = "model.layers." + i + ".";
            out.put(p + "self_attn.q_proj", new long[] {q, h});
            out.put(p + "self_attn.k_proj", new long[] {kv, h});
            out.put(p + "self_attn.v_proj", new long[] {kv, h});
            out.put(p + "self_attn.o_proj", new long[] {h, q});
            out.put(p + "mlp.gate_proj", new long[] {ffn, h});
            out.put(p + "mlp.up_proj", new long[] {ffn, h});
            out.put(p + "mlp.down_proj", new long[] {h, ffn});
        }
        return out;
    }

    @Override
    public List<String> defaultLoraTargets() {
        return List.of("q_proj", "v_proj");
    }

    @Override
    public ClassifierHead classifierHead() {
        return ClassifierHead.LLAMA_SCORE;
    }

    public int numKeyValueGroups() {
        return numAttentionHeads / numKeyValueHeads;
    }

    public static LlamaConfig read(Path configJson) throws IOException {
        if (!Files.isRegularFile(configJson)) throw new IllegalArgumentException(configJson + ": no such file");
        JsonNode n;
        try {
            n = JSON.readTree(configJson.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(configJson + ": not valid JSON: " + e.getMessage());
        }
        return fromJson(n);
    }

    public static LlamaConfig fromJson(JsonNode n) {
        require(n != null && n.isObject(), "not a JSON object");
        String modelType = n.path("model_type").asText("llama");
        require(modelType.equals("llama"), "model_type '" + modelType + "' is not supported (only llama)");
        String act = n.path("hidden_act").asText("silu");
        require(act.equals("silu"), "hidden_act '" + act + "' is not supported (LLaMA uses silu)");
        require(!n.path("attention_bias").asBoolean(false), "attention_bias=true is not supported");
        require(!n.path("mlp_bias").asBoolean(false), "mlp_bias=true is not supported");
        int hidden = intField(n, "hidden_size", null);
        int heads = intField(n, "num_attention_heads", null);
        int headDim = n.hasNonNull("head_dim") ? intField(n, "head_dim", null) : (heads > 0 ? hidden / heads : 0);
        require(
                n.hasNonNull("head_dim") || (heads > 0 && hidden % heads == 0),
                "hidden_size must be divisible by num_attention_heads");
        String dtype = n.hasNonNull("torch_dtype")
                ? n.get("torch_dtype").asText()
                : n.path("dtype").asText("float32");
        return new LlamaConfig(
                intField(n, "vocab_size", null),
                hidden,
                intField(n, "intermediate_size", null),
                intField(n, "num_hidden_layers", null),
                heads,
                intField(n, "num_key_value_heads", heads),
                headDim,
                n.path("rms_norm_eps").asDouble(1e-6),
                ropeTheta(n),
                ropeScaling(n.hasNonNull("rope_parameters") ? n.get("rope_parameters") : n.get("rope_scaling")),
                intField(n, "max_position_embeddings", 2048),
                n.path("tie_word_embeddings").asBoolean(false),
                optInt(n, "pad_token_id"),
                optInt(n, "bos_token_id"),
                optInt(n, "eos_token_id"),
                dtype,
                n.path("initializer_range").asDouble(0.02));
    }

    /**
     * transformers v5 writes rope_theta and the scaling into one {@code rope_parameters} object ({@code {"rope_type":
     * "llama3", "rope_theta": 500000.0, "factor": 8.0, ...}}); v4 has top-level rope_theta and {@code rope_scaling}.
     * Both are read; a file with both must agree on theta.
     */
    private static double ropeTheta(JsonNode n) {
        JsonNode p = n.get("rope_parameters");
        if (p == null || p.isNull()) return n.path("rope_theta").asDouble(10000.0);
        require(p.isObject(), "rope_parameters must be an object");
        require(
                p.hasNonNull("rope_theta")
                        && p.get("rope_theta").isNumber()
                        && p.get("rope_theta").asDouble() > 0,
                "rope_parameters.rope_theta must be a positive number");
        double theta = p.get("rope_theta").asDouble();
        require(
                !n.hasNonNull("rope_theta") || n.get("rope_theta").asDouble() == theta,
                "rope_theta " + n.path("rope_theta").asDouble() + " and rope_parameters.rope_theta " + theta
                        + " disagree");
        return theta;
    }

    private static RopeScaling ropeScaling(JsonNode s) {
        if (s == null || s.isNull()) return null;
        require(s.isObject(), "rope_scaling / rope_parameters must be an object or null");
        String type = s.hasNonNull("rope_type")
                ? s.get("rope_type").asText()
                : s.path("type").asText("default");
        return switch (type) {
            case "default" -> null;
            case "linear" -> new RopeScaling(type, positive(s, "factor"), 0, 0, 0);
            case "llama3" ->
                new RopeScaling(
                        type,
                        positive(s, "factor"),
                        positive(s, "low_freq_factor"),
                        positive(s, "high_freq_factor"),
                        (int) positive(s, "original_max_position_embeddings"));
            default ->
                throw new IllegalArgumentException("config.json: rope_scaling type '" + type
                        + "' is not supported (supported: default, linear, llama3)");
        };
    }

    private static double positive(JsonNode s, String field) {
        require(
                s.hasNonNull(field) && s.get(field).isNumber() && s.get(field).asDouble() > 0,
                "rope_scaling." + field + " must be a positive number");
        return s.get(field).asDouble();
    }

    private static int intField(JsonNode n, String field, Integer dflt) {
        return ConfigJson.intField(n, field, dflt);
    }

    private static Integer optInt(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (v.isArray())
            v = v.size() > 0 ? v.get(0) : null; // some configs list several eos ids; the first is canonical
        if (v == null) return null;
        require(v.isIntegralNumber(), field + " must be an integer");
        return v.asInt();
    }

    /** The config.json Hugging Face writes for this model (LlamaForCausalLM). */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add("LlamaForCausalLM");
        n.put("model_type", "llama");
        n.put("vocab_size", vocabSize);
        n.put("hidden_size", hiddenSize);
        n.put("intermediate_size", intermediateSize);
        n.put("num_hidden_layers", numHiddenLayers);
        n.put("num_attention_heads", numAttentionHeads);
        n.put("num_key_value_heads", numKeyValueHeads);
        n.put("head_dim", headDim);
        n.put("hidden_act", "silu");
        n.put("rms_norm_eps", rmsNormEps);
        n.put("rope_theta", ropeTheta);
        if (ropeScaling == null) {
            n.putNull("rope_scaling");
        } else {
            ObjectNode s = n.putObject("rope_scaling");
            s.put("rope_type", ropeScaling.type());
            s.put("factor", ropeScaling.factor());
            if (ropeScaling.type().equals("llama3")) {
                s.put("low_freq_factor", ropeScaling.lowFreqFactor());
                s.put("high_freq_factor", ropeScaling.highFreqFactor());
                s.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
            }
        }
        n.put("max_position_embeddings", maxPositionEmbeddings);
        n.put("tie_word_embeddings", tieWordEmbeddings);
        n.put("attention_bias", false);
        n.put("mlp_bias", false);
        if (padTokenId != null) n.put("pad_token_id", padTokenId);
        if (bosTokenId != null) n.put("bos_token_id", bosTokenId);
        if (eosTokenId != null) n.put("eos_token_id", eosTokenId);
        n.put("initializer_range", initializerRange);
        n.put("torch_dtype", torchDtype);
        return n;
    }
}
