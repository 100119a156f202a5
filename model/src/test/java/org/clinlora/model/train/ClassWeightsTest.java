package org.clinlora.model.train;

import static org.clinlora.model.metrics.SklearnReference.doubles;
import static org.clinlora.model.metrics.SklearnReference.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import org.clinlora.model.metrics.SklearnReference;
import org.junit.jupiter.api.Test;

/**
 * The paper's set_class_weights, n / (k · count), pinned to scikit-learn's compute_class_weight("balanced") and, for a
 * class the training split lacks, to the formula with weight 0.
 */
class ClassWeightsTest {
    static final JsonNode CASES = SklearnReference.load().get("class_weights");

    @Test
    void weightsMatchScikitLearnsBalancedWeightsFromCountsOrFromRows() {
        assertEquals(2, CASES.size());
        for (JsonNode c : CASES) {
            String name = c.get("name").asText();
            double[] expected = doubles(c.get("weights"));
            assertArrayEquals(expected, ClassWeights.inverseFrequency(longs(c.get("counts"))), 1e-9, name);
            assertArrayEquals(
                    expected,
                    ClassWeights.inverseFrequency(
                            longs(c.get("classes")), c.get("k").asInt()),
                    1e-9,
                    name);
        }
    }

    @Test
    void aClassWithoutTrainingRowsWeighsNothing() {
        double[] w = ClassWeights.inverseFrequency(new long[] {0, 1, 3, 1}, 4);
        // n = 4 rows, k = 4 classes, counts [1, 2, 0, 1].
        assertArrayEquals(new double[] {1, 0.5, 0, 1}, w, 1e-15);
        assertArrayEquals(new float[] {1f, .5f, 0f, 1f}, ClassWeights.asFloat32(w));
    }

    @Test
    void inputWithoutRowsOrWithAForeignClassIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ClassWeights.inverseFrequency(new long[] {0, 0}));
        assertThrows(IllegalArgumentException.class, () -> ClassWeights.inverseFrequency(new long[0]));
        assertThrows(IllegalArgumentException.class, () -> ClassWeights.inverseFrequency(new long[] {2, -1}));
        var e = assertThrows(IllegalArgumentException.class, () -> ClassWeights.inverseFrequency(new long[] {0, 4}, 4));
        assertEquals("class 4 outside [0, 4)", e.getMessage());
    }
}
