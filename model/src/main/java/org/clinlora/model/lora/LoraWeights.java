package org.clinlora.model.lora;

import ai.djl.ndarray.NDArray;

/**
 * One adapter's low-rank pair on one projection: {@code lora_A} [r, in_features], {@code lora_B} [out_features, r],
 * applied as {@code scaling * B(A(dropout(x)))}.
 */
public record LoraWeights(NDArray loraA, NDArray loraB, float scaling, float dropout) {}
