package org.clinlora.model.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.clinlora.model.llama.TestResources;

/**
 * The values scikit-learn and PyTorch compute for the metrics, class weights and losses
 * ({@code sklearn-reference/make_reference.py}), read as JSON arrays for the tests.
 */
public final class SklearnReference {
    private SklearnReference() {}

    /** The whole of {@code sklearn-reference/metrics.json}. */
    public static JsonNode load() {
        try {
            return new ObjectMapper()
                    .readTree(
                            TestResources.path("sklearn-reference/metrics.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static double[][] matrix(JsonNode rows) {
        double[][] out = new double[rows.size()][];
        for (int i = 0; i < out.length; i++) out[i] = doubles(rows.get(i));
        return out;
    }

    public static double[] doubles(JsonNode xs) {
        double[] out = new double[xs.size()];
        for (int i = 0; i < out.length; i++) out[i] = xs.get(i).asDouble();
        return out;
    }

    public static long[] longs(JsonNode xs) {
        long[] out = new long[xs.size()];
        for (int i = 0; i < out.length; i++) out[i] = xs.get(i).asLong();
        return out;
    }

    public static int[] ints(JsonNode xs) {
        int[] out = new int[xs.size()];
        for (int i = 0; i < out.length; i++) out[i] = xs.get(i).asInt();
        return out;
    }

    /** One-hot rows of {@code k} columns from class indices. */
    public static boolean[][] oneHot(int[] classes, int k) {
        boolean[][] out = new boolean[classes.length][k];
        for (int i = 0; i < classes.length; i++) out[i][classes[i]] = true;
        return out;
    }
}
