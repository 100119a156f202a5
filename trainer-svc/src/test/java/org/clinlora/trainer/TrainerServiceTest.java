package org.clinlora.trainer;

import io.quarkus.test.junit.QuarkusTest;
import org.clinlora.testing.ServiceSmokeTest;

@QuarkusTest
class TrainerServiceTest extends ServiceSmokeTest {
    @Override
    protected String serviceName() {
        return "trainer-svc";
    }
}
