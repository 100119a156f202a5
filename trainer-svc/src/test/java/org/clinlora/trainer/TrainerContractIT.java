package org.clinlora.trainer;

import org.clinlora.testing.OpenApiContract;
import org.junit.jupiter.api.Test;

/**
 * trainer-svc's OpenAPI contract: every status the test suite saw an operation answer is one the document lists, each
 * error answer with the problem body. Runs after the tests (failsafe), which record what they saw.
 */
class TrainerContractIT {
    @Test
    void everyObservedStatusIsDocumented() {
        OpenApiContract.assertHolds();
    }
}
