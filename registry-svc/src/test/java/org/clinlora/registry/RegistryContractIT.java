package org.clinlora.registry;

import org.clinlora.testing.OpenApiContract;
import org.junit.jupiter.api.Test;

/**
 * registry-svc's OpenAPI contract: every status the test suite saw an operation answer is one the document lists, each
 * error answer with the problem body. Runs after the tests (failsafe), which record what they saw.
 */
class RegistryContractIT {
    @Test
    void everyObservedStatusIsDocumented() {
        OpenApiContract.assertHolds();
    }
}
