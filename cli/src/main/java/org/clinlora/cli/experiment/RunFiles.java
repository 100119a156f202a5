package org.clinlora.cli.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.clinlora.model.data.CsvWriter;
import org.clinlora.model.metrics.Predictions;
import org.clinlora.model.metrics.RocCurve;

/**
 * A run's files a reviewer can recompute every figure from: {@code predictions.csv} (the test row's id, its true labels
 * joined by ';', then one {@code prob_<label>} column per label, in the label order of the dataset) and {@code roc.csv}
 * (per label the ROC corners: threshold, false- and true-positive rate; labels with one class in the test rows have
 * none). Numbers are written in full (shortest round-trip form).
 */
final class RunFiles {
    private RunFiles() {}

    static void write(Path dir, Predictions p) throws IOException {
        Files.createDirectories(dir);
        List<String> labels = p.labelNames();
        List<String> header = new ArrayList<>(List.of("id", "true_labels"));
        for (String l : labels) header.add("prob_" + l);
        try (CsvWriter w = new CsvWriter(dir.resolve("predictions.csv"), header)) {
            for (int i = 0; i < p.rows(); i++) {
                List<String> row = new ArrayList<>(header.size());
                row.add(p.ids() == null ? Integer.toString(i) : p.ids().get(i));
                List<String> truth = new ArrayList<>();
                for (int j = 0; j < labels.size(); j++) if (p.truth()[i][j]) truth.add(labels.get(j));
                row.add(String.join(";", truth));
                for (int j = 0; j < labels.size(); j++) row.add(Double.toString(p.probabilities()[i][j]));
                w.row(row);
            }
        }
        try (CsvWriter w = new CsvWriter(dir.resolve("roc.csv"), List.of("label", "threshold", "fpr", "tpr"))) {
            for (int j = 0; j < labels.size(); j++) {
                RocCurve c = curve(p, j);
                if (c == null) continue;
                for (int k = 0; k < c.fpr().length; k++) {
                    w.row(List.of(
                            labels.get(j),
                            Double.isInfinite(c.thresholds()[k]) ? "inf" : Double.toString(c.thresholds()[k]),
                            Double.toString(c.fpr()[k]),
                            Double.toString(c.tpr()[k])));
                }
            }
        }
    }

    /** The ROC curve of label {@code j}, or null when the rows hold one class of it. */
    static RocCurve curve(Predictions p, int j) {
        double[] s = new double[p.rows()];
        boolean[] y = new boolean[p.rows()];
        for (int i = 0; i < p.rows(); i++) {
            s[i] = p.probabilities()[i][j];
            y[i] = p.truth()[i][j];
        }
        return RocCurve.of(s, y);
    }
}
