package org.clinlora.model.bert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
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
 * A BERT {@code config.json} ({@code model_type: bert}) as transformers' {@code BertConfig} reads it: the encoder's
 * sizes, GELU (erf), LayerNorm eps, dropouts, absolute positions; {@code id2label} when the checkpoint is a fine-tuned
 * {@code BertForSequenceClassification}. BioClinicalBERT, BlueBERT, CORe and UmlsBERT are all this architecture.
 *
 * @param labels the {@code id2label} names in id order (empty for a pre-trained encoder)
 */
public record BertConfig(
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        double hiddenDropoutProb,
        double attentionProbsDropoutProb,
        Double classifierDropout,
        int maxPositionEmbeddings,
        int typeVocabSize,
        double layerNormEps,
        Integer padTokenId,
        double initializerRange,
        String torchDtype,
        List<String> labels)
        implements BaseModelConfig {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public long parameterCount() {
        long h = hiddenSize;
        long embeddings = ((long) vocabSize + maxPositionEmbeddings + typeVocabSize) * h + 2 * h;
        long attention = 4 * (h * h + h) + 2 * h; // query, key, value, output dense (with biases) + LayerNorm
        long mlp = h * intermediateSize + intermediateSize + (long) intermediateSize * h + h + 2 * h;
        long pooler = h * h + h;
        return embeddings + numHiddenLayers * (attention + mlp) + pooler;
    }

    public BertConfig {
        require(vocabSize > 0, "vocab_size must be positive");
        require(hiddenSize > 0, "hidden_size must be positive");
        require(numHiddenLayers > 0, "num_hidden_layers must be positive");
        require(
                numAttentionHeads > 0 && hiddenSize % numAttentionHeads == 0,
                "hidden_size must be a multiple of num_attention_heads");
        require(intermediateSize > 0, "intermediate_size must be positive");
        require(hiddenDropoutProb >= 0 && hiddenDropoutProb < 1, "hidden_dropout_prob must be in [0, 1)");
        require(
                attentionProbsDropoutProb >= 0 && attentionProbsDropoutProb < 1,
                "attention_probs_dropout_prob must be in [0, 1)");
        require(
                classifierDropout == null || (classifierDropout >= 0 && classifierDropout < 1),
                "classifier_dropout must be in [0, 1)");
        require(maxPositionEmbeddings > 0, "max_position_embeddings must be positive");
        require(typeVocabSize > 0, "type_vocab_size must be positive");
        require(layerNormEps > 0, "layer_norm_eps must be positive");
        require(padTokenId == null || (padTokenId >= 0 && padTokenId < vocabSize), "pad_token_id out of vocabulary");
        require(
                Set.of("float32", "float16", "bfloat16").contains(torchDtype),
                "torch_dtype must be float32, float16 or bfloat16");
        labels = labels == null ? List.of() : List.copyOf(labels);
    }

    private static void require(boolean ok, String message) {
        ConfigJson.require(ok, message);
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /**
     * The dropout before the classifier: {@code classifier_dropout}, else {@code hidden_dropout_prob}, as Hugging Face.
     */
    public double effectiveClassifierDropout() {
        return classifierDropout != null ? classifierDropout : hiddenDropoutProb;
    }

    public static BertConfig fromJson(JsonNode n) {
        require(n != null && n.isObject(), "not a JSON object");
        require(n.path("model_type").asText("").equals("bert"), "model_type must be 'bert'");
        String act = n.path("hidden_act").asText("gelu");
        require(act.equals("gelu"), "hidden_act '" + act + "' is not supported (BERT uses gelu, the erf form)");
        String pos = n.path("position_embedding_type").asText("absolute");
        require(pos.equals("absolute"), "position_embedding_type '" + pos + "' is not supported (absolute only)");
        require(
                !n.path("is_decoder").asBoolean(false)
                        && !n.path("add_cross_attention").asBoolean(false),
                "decoder BERTs are not supported");
        List<String> labels = new ArrayList<>();
        JsonNode id2label = n.get("id2label");
        if (id2label != null && id2label.isObject()) {
            for (int i = 0; i < id2label.size(); i++) {
                JsonNode l = id2label.get(String.valueOf(i));
                require(l != null && l.isTextual(), "id2label must map 0.." + (id2label.size() - 1) + " to names");
                labels.add(l.asText());
            }
        }
        String dtype = n.hasNonNull("torch_dtype")
                ? n.get("torch_dtype").asText()
                : n.path("dtype").asText("float32");
        return new BertConfig(
                intField(n, "vocab_size", null),
                intField(n, "hidden_size", 768),
                intField(n, "num_hidden_layers", 12),
                intField(n, "num_attention_heads", 12),
                intField(n, "intermediate_size", 3072),
                n.path("hidden_dropout_prob").asDouble(0.1),
                n.path("attention_probs_dropout_prob").asDouble(0.1),
                n.hasNonNull("classifier_dropout") ? n.get("classifier_dropout").asDouble() : null,
                intField(n, "max_position_embeddings", 512),
                intField(n, "type_vocab_size", 2),
                n.path("layer_norm_eps").asDouble(1e-12),
                n.hasNonNull("pad_token_id") ? intField(n, "pad_token_id", 0) : 0,
                n.path("initializer_range").asDouble(0.02),
                dtype,
                labels);
    }

    private static int intField(JsonNode n, String field, Integer dflt) {
        return ConfigJson.intField(n, field, dflt);
    }

    /** The same encoder with a classification head over {@code labels} (a fine-tuned BertForSequenceClassification). */
    public BertConfig withLabels(List<String> labels) {
        return new BertConfig(
                vocabSize,
                hiddenSize,
                numHiddenLayers,
                numAttentionHeads,
                intermediateSize,
                hiddenDropoutProb,
                attentionProbsDropoutProb,
                classifierDropout,
                maxPositionEmbeddings,
                typeVocabSize,
                layerNormEps,
                padTokenId,
                initializerRange,
                torchDtype,
                labels);
    }

    @Override
    public String modelType() {
        return "bert";
    }

    @Override
    public String cannotTrain(TaskKind kind, boolean fullFineTuning, boolean halfPrecision, List<String> loraTargets) {
        if (kind == TaskKind.CAUSAL_LM)
            return "a BERT base is an encoder: domain adaptation (a causal LM) needs a LLaMA base";
        if (halfPrecision) return "BERT bases train in fp32 only";
        if (!fullFineTuning && loraTargets != null && !LoraConfig.BERT_PROJECTIONS.containsAll(loraTargets)) {
            return "lora.targetModules " + loraTargets + " are not BERT projections " + LoraConfig.BERT_PROJECTIONS;
        }
        return null;
    }

    @Override
    public void checkCheckpoint(Map<String, long[]> shapes) {
        BertCheckpoint.check(this, BertCheckpoint.canonicalNames(shapes));
    }

    @Override
    public boolean causalLm() {
        return false;
    }

    @Override
    public Map<String, long[]> projectionShapes() {
        long h = hiddenSize, ffn = intermediateSize;
        Map<String, long[]> out = new LinkedHashMap<>();
        for (int i = 0; i < numHiddenLayers; i++) {
            String p = BertModel.LAYER_PREFIX + i + ".";
            out.put(p + "attention.self.query", new long[] {h, h});
            out.put(p + "attention.self.key", new long[] {h, h});
            out.put(p + "attention.self.value", new long[] {h, h});
            out.put(p + "attention.output.dense", new long[] {h, h});
            out.put(p + "intermediate.dense", new long[] {ffn, h});
            out.put(p + "output.dense", new long[] {h, ffn});
        }
        out.put("bert.pooler.dense", new long[] {h, h});
        return out;
    }

    @Override
    public List<String> defaultLoraTargets() {
        return List.of("query", "value");
    }

    @Override
    public ClassifierHead classifierHead() {
        return ClassifierHead.BERT_CLASSIFIER;
    }

    /**
     * [CLS] starts a row and [SEP] closes it, as the tokenizer's post-processor does for one sequence; their ids are
     * the tokenizer's own (101 and 102 in Google's vocabularies), [PAD] is {@code pad_token_id}.
     */
    @Override
    public SpecialIds specialIds(ClinicalTokenizer tokenizer) {
        int cls = tokenizer.tokenId("[CLS]"), sep = tokenizer.tokenId("[SEP]");
        return new SpecialIds(cls, sep, padTokenId == null ? 0 : padTokenId, sep);
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add(labels.isEmpty() ? "BertModel" : "BertForSequenceClassification");
        n.put("model_type", "bert");
        n.put("vocab_size", vocabSize);
        n.put("hidden_size", hiddenSize);
        n.put("num_hidden_layers", numHiddenLayers);
        n.put("num_attention_heads", numAttentionHeads);
        n.put("intermediate_size", intermediateSize);
        n.put("hidden_act", "gelu");
        n.put("hidden_dropout_prob", hiddenDropoutProb);
        n.put("attention_probs_dropout_prob", attentionProbsDropoutProb);
        if (classifierDropout != null) n.put("classifier_dropout", classifierDropout);
        n.put("max_position_embeddings", maxPositionEmbeddings);
        n.put("type_vocab_size", typeVocabSize);
        n.put("layer_norm_eps", layerNormEps);
        if (padTokenId != null) n.put("pad_token_id", padTokenId);
        n.put("position_embedding_type", "absolute");
        n.put("initializer_range", initializerRange);
        n.put("torch_dtype", torchDtype);
        if (!labels.isEmpty()) {
            ObjectNode id2label = n.putObject("id2label"), label2id = n.putObject("label2id");
            for (int i = 0; i < labels.size(); i++) {
                id2label.put(String.valueOf(i), labels.get(i));
                label2id.put(labels.get(i), i);
            }
        }
        return n;
    }
}
