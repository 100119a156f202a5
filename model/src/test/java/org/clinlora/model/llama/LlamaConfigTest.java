package org.clinlora.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class LlamaConfigTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static ObjectNode golden() throws Exception {
        return (ObjectNode) JSON.readTree(Files.readString(TestResources.path("golden/base/config.json")));
    }

    @Test
    void readsEveryFieldTheDecoderNeeds() throws Exception {
        LlamaConfig c = LlamaConfig.fromJson(golden());
        assertEquals(256, c.vocabSize());
        assertEquals(64, c.hiddenSize());
        assertEquals(172, c.intermediateSize());
        assertEquals(2, c.numHiddenLayers());
        assertEquals(4, c.numAttentionHeads());
        assertEquals(2, c.numKeyValueHeads());
        assertEquals(16, c.headDim());
        assertEquals(1e-6, c.rmsNormEps());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals(0, c.padTokenId());
        assertEquals(1, c.bosTokenId());
        assertEquals(2, c.eosTokenId());
        assertEquals("float32", c.torchDtype());
        assertEquals(c, LlamaConfig.fromJson(c.toJson()), "config.json written by us reads back the same");
    }

    @Test
    void unsupportedValuesAreClearErrors() throws Exception {
        assertRefused(golden().put("model_type", "mistral"), "model_type");
        assertRefused(golden().put("hidden_act", "gelu"), "hidden_act");
        assertRefused(golden().put("num_key_value_heads", 3), "multiple of num_key_value_heads");
        assertRefused(golden().put("attention_bias", true), "attention_bias");
        assertRefused(golden().put("torch_dtype", "float8"), "torch_dtype");
        ObjectNode yarn = golden();
        yarn.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4.0);
        assertRefused(yarn, "rope_scaling type 'yarn'");
        ObjectNode missing = golden();
        missing.remove("hidden_size");
        assertRefused(missing, "hidden_size");
    }

    @Test
    void llama3RopeScalingIsAccepted() throws Exception {
        ObjectNode n = golden();
        n.putObject("rope_scaling")
                .put("rope_type", "llama3")
                .put("factor", 8.0)
                .put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0)
                .put("original_max_position_embeddings", 8192);
        assertEquals("llama3", LlamaConfig.fromJson(n).ropeScaling().type());
    }

    @Test
    void transformersV5RopeParametersAreReadNotDefaulted() throws Exception {
        ObjectNode n = golden();
        n.remove("rope_theta");
        n.putObject("rope_parameters")
                .put("rope_type", "llama3")
                .put("rope_theta", 500000.0)
                .put("factor", 8.0)
                .put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0)
                .put("original_max_position_embeddings", 8192);
        LlamaConfig c = LlamaConfig.fromJson(n);
        assertEquals(500000.0, c.ropeTheta(), "theta from rope_parameters, not the 10000 default");
        assertEquals("llama3", c.ropeScaling().type());
        assertEquals(8.0, c.ropeScaling().factor());

        ObjectNode plain = golden();
        plain.remove("rope_theta");
        plain.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 123456.0);
        assertEquals(123456.0, LlamaConfig.fromJson(plain).ropeTheta());
        assertEquals(null, LlamaConfig.fromJson(plain).ropeScaling());

        ObjectNode yarn = golden();
        yarn.putObject("rope_parameters")
                .put("rope_type", "yarn")
                .put("rope_theta", 10000.0)
                .put("factor", 4.0);
        assertRefused(yarn, "'yarn'");
        ObjectNode disagree = golden(); // top-level rope_theta 10000
        disagree.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 500000.0);
        assertRefused(disagree, "disagree");
    }

    private static void assertRefused(ObjectNode n, String mention) {
        var e = assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(n));
        assertTrue(e.getMessage().startsWith("config.json: ") && e.getMessage().contains(mention), e.getMessage());
    }
}
