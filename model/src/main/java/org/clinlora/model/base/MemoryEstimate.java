package org.clinlora.model.base;

import java.util.Locale;

/**
 * How much memory serving a base model takes, from its config alone: the one formula behind the services' start-up
 * refusal (a container or GPU too small for the model), the Kubernetes requests and limits, and docs/DEPLOYING.md.
 *
 * <ul>
 *   <li><b>weights</b>: every parameter at the storage precision (fp32 4 bytes, fp16 2); adapters are small beside it;
 *   <li><b>activations</b> of one scoring batch of {@code rows × seqLen} tokens, in fp32: inference holds one decoder
 *       layer's intermediates at a time — its hidden states, q/k/v/o and the MLP's three widths ({@code 4·hidden +
 *       3·intermediate} floats per token) and the attention scores and probabilities ({@code 2·heads·seqLen²} floats
 *       per row);
 *   <li><b>runtime</b>: the JVM (its heap and the rest) and libtorch's own allocations, given by the caller.
 * </ul>
 *
 * On CPU all three live in the container's memory. On a GPU the weights and activations live on the device, beside a
 * CUDA context, and the host keeps the runtime and one tensor in flight while the checkpoint is copied up.
 *
 * <p>Measured against it (docs/SCALE.md): a LLaMA-2-7B-shaped fp16 checkpoint, 6.74 B parameters, peaked at 14.61 GB
 * resident while loading and scoring 8 × 128 tokens on CPU; this estimate says 15.3 GB (14.3 GiB) with a 1.5 GiB
 * runtime.
 */
public record MemoryEstimate(long weightBytes, long activationBytes, long runtimeBytes) {
    public static final long GIB = 1L << 30;
    /** What a CUDA context and the caching allocator's slack take on the device beside the tensors. */
    public static final long CUDA_CONTEXT_BYTES = 1L << 30;

    /** Serving {@code config} at {@code precision} with batches of {@code rows} notes of {@code seqLen} tokens. */
    public static MemoryEstimate forServing(
            BaseModelConfig config, Compute.Precision precision, int rows, int seqLen, long runtimeBytes) {
        long weights = config.parameterCount() * bytesPerParameter(precision);
        long perToken = 4L * config.hiddenSize() + 3L * config.intermediateSize();
        long scores = 2L * config.numAttentionHeads() * seqLen * (long) seqLen;
        long activations = Float.BYTES * ((long) rows * seqLen * perToken + rows * scores);
        return new MemoryEstimate(weights, activations, runtimeBytes);
    }

    public static int bytesPerParameter(Compute.Precision precision) {
        return precision == Compute.Precision.FP16 ? 2 : 4;
    }

    /** Everything in one process's memory: a CPU deployment's need. */
    public long hostBytes() {
        return weightBytes + activationBytes + runtimeBytes;
    }

    /** What a GPU must have free for the model: weights, one batch's activations, the CUDA context. */
    public long deviceBytes() {
        return weightBytes + activationBytes + CUDA_CONTEXT_BYTES;
    }

    /** The host's share when the model lives on a GPU: the runtime. */
    public long hostBytesBesideGpu() {
        return runtimeBytes;
    }

    /** One line for logs and refusals: {@code weights 12.6 GiB + activations 0.2 GiB + runtime 1.5 GiB}. */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "weights %s + activations %s + runtime %s",
                gib(weightBytes),
                gib(activationBytes),
                gib(runtimeBytes));
    }

    public static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) GIB);
    }
}
