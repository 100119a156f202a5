package org.clinlora.model.lora;

import ai.djl.ndarray.NDArray;
import org.clinlora.model.base.StepContext;

/**
 * Where a base architecture keeps its sequence-classification head, as PEFT saves it with a SEQ_CLS adapter
 * ({@code modules_to_save}): LLaMA's {@code score} (a Linear without bias) and BERT's {@code classifier} (with bias).
 * The keys in adapter_model.safetensors are {@code base_model.model.<module>.weight} (and {@code .bias}).
 */
public record ClassifierHead(String module, boolean bias) {
    public static final ClassifierHead LLAMA_SCORE = new ClassifierHead("score", false);
    public static final ClassifierHead BERT_CLASSIFIER = new ClassifierHead("classifier", true);

    public String weightKey() {
        return LoraAdapter.PEFT_PREFIX + module + ".weight";
    }

    public String biasKey() {
        return LoraAdapter.PEFT_PREFIX + module + ".bias";
    }

    /** A head's tensors: weight [num_labels, hidden] and its bias [num_labels] (null for LLaMA's score). */
    public record Weights(NDArray weight, NDArray bias) {
        /** The tensors a step computes with: a data-parallel training part's replicas, or these. */
        public Weights in(StepContext ctx) {
            return new Weights(ctx.parameter(weight), bias == null ? null : ctx.parameter(bias));
        }

        public int numLabels() {
            return Math.toIntExact(weight.getShape().get(0));
        }
    }
}
