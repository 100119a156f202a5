package org.clinlora.model.train;

import java.util.Locale;

/**
 * Which epoch's adapter a downstream run keeps, judged on the validation split at the end of every epoch: the best
 * macro AUROC (this project's default), the lowest validation loss (the paper's revised code), or simply the last epoch
 * (the paper's first code: no selection at all).
 */
public enum ModelSelection {
    BEST_VALIDATION_AUROC("best-validation-auroc"),
    LOWEST_VALIDATION_LOSS("lowest-validation-loss"),
    LAST_EPOCH("last-epoch");

    private final String id;

    ModelSelection(String id) {
        this.id = id;
    }

    /** The name in configs and job specs. */
    public String id() {
        return id;
    }

    /** Whether the validation split is scored after every epoch (the last epoch needs no scoring to be chosen). */
    public boolean scoresEpochs() {
        return this != LAST_EPOCH;
    }

    public static ModelSelection parse(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        for (ModelSelection s : values()) if (s.id.equals(v)) return s;
        throw new IllegalArgumentException(
                "selection must be best-validation-auroc, lowest-validation-loss or last-epoch, got '" + value + "'");
    }
}
