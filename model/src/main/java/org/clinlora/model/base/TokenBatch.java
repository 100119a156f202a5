package org.clinlora.model.base;

import java.util.Arrays;

/**
 * Right-padded token ids and their attention mask, row-major [batchSize, seqLen]. Every row must start with at least
 * one real token and have no real token after a pad (right padding, as Hugging Face's classifiers expect).
 */
public record TokenBatch(int batchSize, int seqLen, long[] inputIds, long[] attentionMask) {

    public TokenBatch {
        if (batchSize <= 0 || seqLen <= 0)
            throw new IllegalArgumentException("batch needs at least one row and one position");
        if (inputIds.length != (long) batchSize * seqLen || attentionMask.length != inputIds.length) {
            throw new IllegalArgumentException(
                    "input_ids and attention_mask must both be [" + batchSize + ", " + seqLen + "]");
        }
        for (int b = 0; b < batchSize; b++) {
            if (attentionMask[b * seqLen] != 1)
                throw new IllegalArgumentException(
                        "row " + b + " starts with a pad (attention_mask 0): inputs must be right-padded");
            boolean padSeen = false;
            for (int t = 0; t < seqLen; t++) {
                long m = attentionMask[b * seqLen + t];
                if (m != 0 && m != 1) throw new IllegalArgumentException("attention_mask must hold 0 or 1, got " + m);
                if (m == 0) padSeen = true;
                else if (padSeen)
                    throw new IllegalArgumentException(
                            "row " + b + " has a real token after a pad: inputs must be right-padded");
            }
        }
    }

    /** A batch with every position real. */
    public static TokenBatch unpadded(int batchSize, int seqLen, long[] inputIds) {
        long[] mask = new long[inputIds.length];
        Arrays.fill(mask, 1);
        return new TokenBatch(batchSize, seqLen, inputIds, mask);
    }

    /** Rows [from, to) as a batch of their own, at the same sequence length. */
    public TokenBatch rows(int from, int to) {
        if (from < 0 || to > batchSize || from >= to)
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") of a batch of " + batchSize);
        if (from == 0 && to == batchSize) return this;
        return new TokenBatch(
                to - from,
                seqLen,
                Arrays.copyOfRange(inputIds, from * seqLen, to * seqLen),
                Arrays.copyOfRange(attentionMask, from * seqLen, to * seqLen));
    }

    /**
     * Hugging Face's sequence-classification pooling index: the rightmost position of row b whose id is not
     * {@code padId} (0 when every id is the pad), whatever the attention mask says.
     */
    public int lastNonPadIndex(int b, long padId) {
        for (int t = seqLen - 1; t > 0; t--) if (inputIds[b * seqLen + t] != padId) return t;
        return 0;
    }

    public void checkVocabulary(int vocabSize) {
        for (long id : inputIds) {
            if (id < 0 || id >= vocabSize)
                throw new IllegalArgumentException(
                        "token id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
        }
    }
}
