package org.clinlora.registry;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.clinlora.testing.LocalInfraResource;
import org.clinlora.testing.ServiceSmokeTest;

/** Health (object store and Kafka included), metrics and OpenAPI, against the real local S3Proxy and broker. */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class RegistryServiceTest extends ServiceSmokeTest {
    @Override
    protected String serviceName() {
        return "registry-svc";
    }
}
