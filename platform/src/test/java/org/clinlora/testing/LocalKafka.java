package org.clinlora.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** {@code @ExtendWith(LocalKafka.class)}: the real local broker from infra/ is up before the tests. */
public final class LocalKafka implements BeforeAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        LocalInfra.kafka(context);
    }
}
