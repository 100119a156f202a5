package org.clinlora.model.metrics;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * How a multiclass task's macro AUROC is averaged: one-vs-rest over the classes, or one-vs-one over pairs of classes
 * (Hand &amp; Till), as scikit-learn's {@code roc_auc_score(multi_class=...)}. The paper's code asks for one-vs-one on
 * tasks with more than two classes; one-vs-rest is this library's historical value.
 */
public enum MulticlassAuroc {
    /** Each class against every other row, as for a multilabel task; sensitive to how the "rest" is made up. */
    OVR("ovr"),
    /** The mean over pairs of present classes of the two pairwise AUROCs; insensitive to class imbalance. */
    OVO("ovo");

    private final String configName;

    MulticlassAuroc(String configName) {
        this.configName = configName;
    }

    /** The name in JSON and in a training config, scikit-learn's {@code multi_class} value. */
    @JsonValue
    public String configName() {
        return configName;
    }

    /** The mode named {@code value} (case-insensitive), so a typo in a config fails with the names it may take. */
    @JsonCreator
    public static MulticlassAuroc parse(String value) {
        if (value != null) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            for (MulticlassAuroc m : values()) if (m.configName.equals(v)) return m;
        }
        throw new IllegalArgumentException(
                "multiclass AUROC must be \"ovr\" or \"ovo\", got " + (value == null ? "null" : "\"" + value + "\""));
    }
}
