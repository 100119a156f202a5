package org.clinlora.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TestResources;
import org.junit.jupiter.api.Test;

/**
 * Adapters created and saved by Hugging Face PEFT 0.21 itself (tools/interop/peft_check.py) load here and give the
 * logits PEFT computed with them: a CAUSAL_LM LoRA on all seven projections and a SEQ_CLS LoRA with its score head.
 */
class PeftMadeAdapterTest {
    static final Path DIR = TestResources.path("peft-made");

    static TokenBatch inputs() throws IOException {
        try (SafeTensorsReader r = SafeTensors.open(DIR.resolve("inputs.safetensors"))) {
            long[] shape = r.entry("input_ids").shape();
            return new TokenBatch((int) shape[0], (int) shape[1], r.longs("input_ids"), r.longs("attention_mask"));
        }
    }

    @Test
    void peftCausalLmAdapterOnAllProjectionsMatchesPeftsLogits() throws IOException {
        TokenBatch batch = inputs();
        try (LlamaModel m = LlamaModel.load(DIR.resolve("base"), Compute.CPU_FP32);
                SafeTensorsReader want = SafeTensors.open(DIR.resolve("peft_expected.safetensors"))) {
            var a = PeftAdapterDir.load(m, "peft", DIR.resolve("peft_causal"));
            assertEquals(7 * m.config().numHiddenLayers(), a.weights().size(), "all seven projections wrapped");
            float[] got;
            try (StepContext ctx = m.newStep(false)) {
                got = m.lmLogits(ctx, m.hiddenStates(ctx, batch, List.of("peft")))
                        .toFloatArray();
            }
            assertCausalLogits(
                    want.floats("logits_causal"), got, batch, m.config().vocabSize());
        }
    }

    /** PEFT's causal-LM logits at every real (unpadded) position, to 1e-4. */
    static void assertCausalLogits(float[] expected, float[] got, TokenBatch batch, int vocab) {
        double worst = 0;
        for (int p = 0; p < batch.attentionMask().length; p++) {
            if (batch.attentionMask()[p] == 0) continue;
            for (int j = 0; j < vocab; j++)
                worst = Math.max(worst, Math.abs(expected[p * vocab + j] - got[p * vocab + j]));
        }
        assertTrue(worst < 1e-4, "max abs diff " + worst);
    }

    /** PEFT's sequence-classification logits, each to 1e-4. */
    static void assertSeqClsLogits(float[] expected, float[] got) {
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], got[i], 1e-4, "cls[" + i + "]");
    }

    @Test
    void peftSequenceClassificationAdapterWithScoreMatchesPeftsLogits() throws IOException {
        TokenBatch batch = inputs();
        try (LlamaModel m = LlamaModel.load(DIR.resolve("base"), Compute.CPU_FP32);
                SafeTensorsReader want = SafeTensors.open(DIR.resolve("peft_expected.safetensors"))) {
            var a = PeftAdapterDir.load(m, "peft", DIR.resolve("peft_seqcls"));
            assertEquals(3, a.numLabels());
            float[] got;
            try (StepContext ctx = m.newStep(false)) {
                got = m.classify(ctx, m.hiddenStates(ctx, batch, List.of("peft")), batch, List.of("peft"))
                        .toFloatArray();
            }
            assertSeqClsLogits(want.floats("cls_seqcls"), got);
        }
    }
}
