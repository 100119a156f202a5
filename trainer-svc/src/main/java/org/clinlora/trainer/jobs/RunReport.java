package org.clinlora.trainer.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.clinlora.model.metrics.EvaluationCurves;
import org.clinlora.model.train.Trainer;

/** What a finished run reports: the metrics on its card, and {@code evaluation.json} beside its files. */
final class RunReport {
    /**
     * The file beside a version's PEFT files with the test split's curves (ROC, precision-recall, confusion matrix).
     */
    static final String EVALUATION = "evaluation.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private RunReport() {}

    /**
     * The card's metrics: validation.* and test.* (NaN dropped: JSON has no NaN), before.*, train.* — with the epoch
     * kept when the job selected its best epoch.
     */
    static Map<String, Double> metrics(Trainer.Result r) {
        Map<String, Double> m = new LinkedHashMap<>();
        r.before().forEach((k, v) -> put(m, "before." + k, v));
        r.validation().forEach((k, v) -> put(m, "validation." + k, v));
        r.test().forEach((k, v) -> put(m, "test." + k, v));
        put(m, "train.steps", r.steps());
        put(m, "train.tokens", r.tokens());
        put(m, "train.seconds", r.seconds());
        put(m, "train.trainable_parameters", r.trainableParameters());
        if (r.selected() != null) {
            put(m, "train.selected_epoch", r.selected().epoch());
            put(m, "train.selected_step", r.selected().step());
        }
        return m;
    }

    /**
     * {@code evaluation.json}: the split, its metrics and the curves a reader plots; null without a scored test split.
     */
    static byte[] evaluation(Trainer.Result r) {
        if (r.testPredictions() == null || r.testPredictions().rows() == 0) return null;
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("split", "test");
        Map<String, Double> m = new LinkedHashMap<>();
        r.test().forEach((k, v) -> put(m, k, v));
        e.put("metrics", m);
        e.put("curves", EvaluationCurves.of(r.testPredictions()));
        try {
            return JSON.writeValueAsBytes(e);
        } catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static void put(Map<String, Double> m, String k, double v) {
        if (Double.isFinite(v)) m.put(k, v);
    }
}
