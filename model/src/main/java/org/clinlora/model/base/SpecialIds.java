package org.clinlora.model.base;

/**
 * The token ids rows are built with: {@code bos} starts every row (LLaMA's {@code <s>}, BERT's {@code [CLS]}),
 * {@code eos} ends each note in a causal-LM stream, {@code pad} fills short rows, and {@code sep} (BERT's
 * {@code [SEP]}; -1 for LLaMA) closes every classification row.
 */
public record SpecialIds(int bos, int eos, int pad, int sep) {
    public boolean closesRows() {
        return sep >= 0;
    }
}
