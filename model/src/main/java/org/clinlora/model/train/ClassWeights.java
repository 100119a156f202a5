package org.clinlora.model.train;

/**
 * Class weights for a multiclass task's cross-entropy, as the paper's code sets them (set_class_weights): the inverse
 * of each class's frequency in the training split, so that every class contributes as much to the loss as a balanced
 * split would make it.
 */
public final class ClassWeights {
    private ClassWeights() {}

    /**
     * {@code n / (k · count_c)} for n rows and k classes, scikit-learn's {@code compute_class_weight("balanced")}, so
     * that a weighted mean treats each class as if it had n / k rows.
     *
     * <p>A class with no training row gets weight 0: it is never a target of the training loss, and a weight enters
     * PyTorch's weighted mean only through the targets' classes, so its value never matters; 0 keeps the vector finite
     * where the paper's code would divide by zero and scikit-learn refuse.
     *
     * @param counts the training rows of each class, indexed by class
     */
    public static double[] inverseFrequency(long[] counts) {
        if (counts.length == 0) throw new IllegalArgumentException("no classes to weight");
        long n = 0;
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] < 0) throw new IllegalArgumentException("class " + c + " has a negative count " + counts[c]);
            n += counts[c];
        }
        if (n == 0) throw new IllegalArgumentException("no training rows to weight classes by");
        double[] weights = new double[counts.length];
        for (int c = 0; c < counts.length; c++) {
            weights[c] = counts[c] == 0 ? 0 : n / ((double) counts.length * counts[c]);
        }
        return weights;
    }

    /**
     * The same from the class index of each training row, for callers that hold the labels rather than their counts.
     *
     * @param k the number of classes (the label map's size, also counting classes no row has)
     */
    public static double[] inverseFrequency(long[] classIndexOfEachRow, int k) {
        long[] counts = new long[k];
        for (long c : classIndexOfEachRow) {
            if (c < 0 || c >= k) throw new IllegalArgumentException("class " + c + " outside [0, " + k + ")");
            counts[(int) c]++;
        }
        return inverseFrequency(counts);
    }

    /** The weights in float32, the dtype of the paper code's weight tensor and of {@link Losses#crossEntropy}. */
    public static float[] asFloat32(double[] weights) {
        float[] out = new float[weights.length];
        for (int i = 0; i < weights.length; i++) out[i] = (float) weights[i];
        return out;
    }
}
