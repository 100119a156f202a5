package org.clinlora.model.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The memory formula against the parameter counts Hugging Face reports and the resident size measured in SCALE.md. */
class MemoryEstimateTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** LLaMA-2-7B's config.json (meta-llama/Llama-2-7b-hf). */
    static BaseModelConfig llama2_7b() throws Exception {
        return BaseModelConfig.fromJson(JSON.readTree("{\"model_type\":\"llama\",\"vocab_size\":32000,"
                + "\"hidden_size\":4096,\"intermediate_size\":11008,\"num_hidden_layers\":32,"
                + "\"num_attention_heads\":32,\"num_key_value_heads\":32,\"rms_norm_eps\":1e-5,"
                + "\"max_position_embeddings\":4096,\"tie_word_embeddings\":false,\"torch_dtype\":\"float16\"}"));
    }

    @Test
    void parameterCountsAreHuggingFaces() throws Exception {
        // model.num_parameters() in transformers: 6,738,415,616 for Llama-2-7b-hf, 109,482,240 for bert-base-uncased.
        assertEquals(6_738_415_616L, llama2_7b().parameterCount());
        BaseModelConfig bertBase = BaseModelConfig.fromJson(JSON.readTree("{\"model_type\":\"bert\","
                + "\"vocab_size\":30522,\"hidden_size\":768,\"num_hidden_layers\":12,\"num_attention_heads\":12,"
                + "\"intermediate_size\":3072,\"max_position_embeddings\":512,\"type_vocab_size\":2,"
                + "\"hidden_act\":\"gelu\",\"layer_norm_eps\":1e-12}"));
        assertEquals(109_482_240L, bertBase.parameterCount());
    }

    @Test
    void sevenBInFp16ServingEightNotesCoversWhatWasMeasured() throws Exception {
        MemoryEstimate e =
                MemoryEstimate.forServing(llama2_7b(), Compute.Precision.FP16, 8, 128, 3 * MemoryEstimate.GIB / 2);
        assertEquals(13_476_831_232L, e.weightBytes());
        // One layer's intermediates for 8 × 128 tokens: 0.19 GiB of hidden/projection/MLP widths + 0.03 of scores.
        assertEquals(235_929_600L, e.activationBytes());
        // docs/SCALE.md: peak RSS 14.61 GB loading and scoring 8 × 128 on CPU; the estimate stays above it.
        assertTrue(e.hostBytes() > 14_610_000_000L, MemoryEstimate.gib(e.hostBytes()));
        assertTrue(e.hostBytes() < 16_000_000_000L, MemoryEstimate.gib(e.hostBytes()));
        assertEquals(e.weightBytes() + e.activationBytes() + MemoryEstimate.CUDA_CONTEXT_BYTES, e.deviceBytes());
        assertEquals("weights 12.6 GiB + activations 0.2 GiB + runtime 1.5 GiB", e.describe());
    }

    @Test
    void fp32DoublesTheWeights() throws Exception {
        long fp16 = MemoryEstimate.forServing(llama2_7b(), Compute.Precision.FP16, 1, 128, 0)
                .weightBytes();
        long fp32 = MemoryEstimate.forServing(llama2_7b(), Compute.Precision.FP32, 1, 128, 0)
                .weightBytes();
        assertEquals(2 * fp16, fp32);
    }
}
