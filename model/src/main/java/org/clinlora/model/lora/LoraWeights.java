package org.clinlora.model.lora;

import ai.djl.ndarray.NDArray;
import org.clinlora.model.base.StepContext;

/**
 * One adapter's low-rank pair on one projection: {@code lora_A} [r, in_features], {@code lora_B} [out_features, r],
 * applied as {@code scaling * B(A(dropout(x)))}. Resident pairs are arrays of their own (what training updates and
 * saves); a served adapter's pairs are slots of its {@link PackedTensors}, read as views by each step.
 */
public final class LoraWeights {
    private final NDArray loraA;
    private final NDArray loraB;
    private final PackedTensors packed;
    private final PackedTensors.Slot slotA;
    private final PackedTensors.Slot slotB;
    private final float scaling;
    private final float dropout;

    public LoraWeights(NDArray loraA, NDArray loraB, float scaling, float dropout) {
        this(loraA, loraB, null, null, null, scaling, dropout);
    }

    private LoraWeights(
            NDArray loraA,
            NDArray loraB,
            PackedTensors packed,
            PackedTensors.Slot slotA,
            PackedTensors.Slot slotB,
            float scaling,
            float dropout) {
        this.loraA = loraA;
        this.loraB = loraB;
        this.packed = packed;
        this.slotA = slotA;
        this.slotB = slotB;
        this.scaling = scaling;
        this.dropout = dropout;
    }

    /** A pair held in {@code packed}: frozen, read by steps only. */
    public static LoraWeights packed(
            PackedTensors packed, PackedTensors.Slot a, PackedTensors.Slot b, float scaling, float dropout) {
        return new LoraWeights(null, null, packed, a, b, scaling, dropout);
    }

    /** Whether the pair lives in a served adapter's packed storage (no arrays of its own to train, save or merge). */
    public boolean isPacked() {
        return packed != null;
    }

    public NDArray loraA() {
        return resident(loraA);
    }

    public NDArray loraB() {
        return resident(loraB);
    }

    /**
     * {@code lora_A} for one step: the array itself (a data-parallel part's replica of it), or a view of the packed
     * storage that the step frees.
     */
    NDArray loraA(StepContext ctx) {
        return packed == null ? ctx.parameter(loraA) : packed.view(slotA, ctx.manager());
    }

    NDArray loraB(StepContext ctx) {
        return packed == null ? ctx.parameter(loraB) : packed.view(slotB, ctx.manager());
    }

    public float scaling() {
        return scaling;
    }

    public float dropout() {
        return dropout;
    }

    private NDArray resident(NDArray a) {
        if (packed != null)
            throw new IllegalStateException("a served adapter's LoRA pairs are packed: they are read per step only");
        return a;
    }
}
