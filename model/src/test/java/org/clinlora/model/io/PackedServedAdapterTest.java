package org.clinlora.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.util.List;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.lora.LoraAdapter;
import org.junit.jupiter.api.Test;

/**
 * An adapter read for serving keeps its LoRA pairs in one packed tensor and reads them through views each step: the
 * same logits as PEFT's, nothing left behind by a step, its values counted for the scorer's budget, and refused where
 * it would need arrays of its own (training, saving, merging).
 */
class PackedServedAdapterTest {

    @Test
    void packedPairsGivePeftsLogitsOnAllSevenProjections() throws IOException {
        TokenBatch batch = PeftMadeAdapterTest.inputs();
        var dir = PeftMadeAdapterTest.DIR;
        try (LlamaModel m = LlamaModel.load(dir.resolve("base"), Compute.CPU_FP32);
                SafeTensorsReader want = SafeTensors.open(dir.resolve("peft_expected.safetensors"))) {
            LoraAdapter a = PeftAdapterDir.readForServing(m, "peft", dir.resolve("peft_causal"));
            m.addAdapter(a);
            assertTrue(a.weights().values().stream().allMatch(w -> w.isPacked()));
            int before = m.manager().getManagedArrays().size();
            float[] got;
            try (StepContext ctx = m.newStep(false)) {
                got = m.lmLogits(ctx, m.hiddenStates(ctx, batch, List.of("peft")))
                        .toFloatArray();
            }
            assertEquals(before, m.manager().getManagedArrays().size(), "a step's views are freed with the step");
            PeftMadeAdapterTest.assertCausalLogits(
                    want.floats("logits_causal"), got, batch, m.config().vocabSize());
        }
    }

    @Test
    void aPackedSequenceClassificationAdapterScoresAsPeftAndCountsItsValues() throws IOException {
        TokenBatch batch = PeftMadeAdapterTest.inputs();
        var dir = PeftMadeAdapterTest.DIR;
        try (LlamaModel m = LlamaModel.load(dir.resolve("base"), Compute.CPU_FP32);
                SafeTensorsReader want = SafeTensors.open(dir.resolve("peft_expected.safetensors"));
                SafeTensorsReader stored =
                        SafeTensors.open(dir.resolve("peft_seqcls").resolve(PeftAdapterDir.WEIGHTS))) {
            int arraysBefore = m.manager().getManagedArrays().size();
            LoraAdapter a = PeftAdapterDir.readForServing(m, "peft", dir.resolve("peft_seqcls"));
            long values = stored.entries().values().stream()
                    .mapToLong(e -> e.numel() * Float.BYTES)
                    .sum();
            assertEquals(values, a.tensorBytes(), "the budget counts the adapter's values");
            // One packed tensor for every pair, and the head's weight: not one array per matrix.
            assertEquals(arraysBefore + 2, m.manager().getManagedArrays().size());
            m.addAdapter(a);
            float[] got;
            try (StepContext ctx = m.newStep(false)) {
                got = m.classify(ctx, m.hiddenStates(ctx, batch, List.of("peft")), batch, List.of("peft"))
                        .toFloatArray();
            }
            PeftMadeAdapterTest.assertSeqClsLogits(want.floats("cls_seqcls"), got);

            assertThrows(IllegalStateException.class, a::parameters);
            assertThrows(IllegalStateException.class, () -> a.setTrainable(true));
            assertThrows(IllegalStateException.class, () -> m.merge("peft"));
            m.removeAdapter("peft");
            assertEquals(arraysBefore, m.manager().getManagedArrays().size(), "removed: its tensors are freed");
        }
    }

    @Test
    void aResidentAdapterCountsTheSameBytes() throws IOException {
        var dir = PeftMadeAdapterTest.DIR;
        try (LlamaModel m = LlamaModel.load(dir.resolve("base"), Compute.CPU_FP32)) {
            long packed, resident;
            try (LoraAdapter a = PeftAdapterDir.readForServing(m, "a", dir.resolve("peft_seqcls"))) {
                packed = a.tensorBytes();
            }
            try (LoraAdapter b = PeftAdapterDir.read(m, "b", dir.resolve("peft_seqcls"))) {
                resident = b.tensorBytes();
                long sum = 0;
                for (NDArray p : b.parameters().values()) sum += p.size() * Float.BYTES;
                assertEquals(sum, resident);
            }
            assertEquals(resident, packed);
        }
    }
}
