package org.clinlora.model.train;

import java.util.Locale;

/**
 * Whether a single-label task's cross-entropy weighs each class by its inverse frequency in the training split (the
 * paper's code, for length of stay, mortality and prolonged ventilation) or not at all (the paper's text is silent;
 * this project's default). Multi-label tasks are never weighted, as in the paper's code.
 */
public enum ClassWeighting {
    NONE("none"),
    INVERSE_FREQUENCY("inverse-frequency");

    private final String id;

    ClassWeighting(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static ClassWeighting parse(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        for (ClassWeighting w : values()) if (w.id.equals(v)) return w;
        throw new IllegalArgumentException("classWeighting must be none or inverse-frequency, got '" + value + "'");
    }
}
