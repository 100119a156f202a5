package org.clinlora.model.task;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import java.util.Locale;

/**
 * How a multi-label task's logits become the scores its AUROC ranks: a sigmoid per label (what the loss trains, this
 * project's default) or a softmax over the labels (the paper's code ranked softmax scores). Single-label tasks always
 * use a softmax.
 */
public enum ScoreFunction {
    SIGMOID("sigmoid"),
    SOFTMAX("softmax");

    private final String id;

    ScoreFunction(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** Scores [B, C] from logits [B, C]. */
    public NDArray apply(NDArray logits) {
        return this == SIGMOID ? Activation.sigmoid(logits) : logits.softmax(-1);
    }

    public static ScoreFunction parse(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        for (ScoreFunction f : values()) if (f.id.equals(v)) return f;
        throw new IllegalArgumentException("multilabelScores must be sigmoid or softmax, got '" + value + "'");
    }
}
