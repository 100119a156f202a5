package org.clinlora.model.task;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Hugging Face's {@code problem_type} of a sequence classifier: one label per note (softmax over the labels, length of
 * stay and mortality) or any number (a sigmoid per label, diagnoses and procedures).
 */
public enum ProblemType {
    SINGLE_LABEL("single_label_classification"),
    MULTI_LABEL("multi_label_classification");

    private final String hfName;

    ProblemType(String hfName) {
        this.hfName = hfName;
    }

    /** The name in a Hugging Face config and on an adapter card. */
    @JsonValue
    public String hfName() {
        return hfName;
    }

    public boolean multilabel() {
        return this == MULTI_LABEL;
    }

    /** Probabilities from classification logits [B, C]: a sigmoid per label, or a softmax over the labels. */
    public NDArray probabilities(NDArray logits) {
        return multilabel() ? Activation.sigmoid(logits) : logits.softmax(-1);
    }

    public static ProblemType of(boolean multilabel) {
        return multilabel ? MULTI_LABEL : SINGLE_LABEL;
    }

    @JsonCreator
    public static ProblemType parse(String value) {
        for (ProblemType p : values()) if (p.hfName.equals(value) || p.name().equalsIgnoreCase(value)) return p;
        throw new IllegalArgumentException(
                "problem type must be single_label_classification or multi_label_classification, got '" + value + "'");
    }
}
