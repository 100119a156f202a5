package org.clinlora.registry;

import io.quarkus.test.junit.QuarkusTest;
import org.clinlora.testing.ServiceSmokeTest;

@QuarkusTest
class RegistryServiceTest extends ServiceSmokeTest {
    @Override
    protected String serviceName() {
        return "registry-svc";
    }
}
