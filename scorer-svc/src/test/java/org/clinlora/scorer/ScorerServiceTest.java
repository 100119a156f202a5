package org.clinlora.scorer;

import io.quarkus.test.junit.QuarkusTest;
import org.clinlora.testing.ServiceSmokeTest;

@QuarkusTest
class ScorerServiceTest extends ServiceSmokeTest {
    @Override
    protected String serviceName() {
        return "scorer-svc";
    }
}
