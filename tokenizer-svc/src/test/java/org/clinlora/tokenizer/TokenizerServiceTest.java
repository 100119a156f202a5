package org.clinlora.tokenizer;

import io.quarkus.test.junit.QuarkusTest;
import org.clinlora.testing.ServiceSmokeTest;

@QuarkusTest
class TokenizerServiceTest extends ServiceSmokeTest {
    @Override
    protected String serviceName() {
        return "tokenizer-svc";
    }
}
