package org.clinlora.model.train;

import java.util.Locale;

/**
 * How a Downstream LoRA trained on top of a Clinical LoRA meets it in the forward pass. {@code SUM}: both deltas are
 * added on the same projections (the paper's text; PEFT's {@code set_adapter([...])} since 0.8). {@code ACTIVE_ONLY}:
 * only the adapter that was active first applies its delta, the new one's LoRA pair is never applied and so never
 * learns — what PEFT 0.4's {@code add_adapter} without {@code set_adapter} did in the paper's code — while the new
 * classification head trains as usual.
 */
public enum Stacking {
    SUM("sum"),
    ACTIVE_ONLY("active-only");

    private final String id;

    Stacking(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Stacking parse(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        for (Stacking s : values()) if (s.id.equals(v)) return s;
        throw new IllegalArgumentException("stacking must be sum or active-only, got '" + value + "'");
    }
}
