package org.clinlora.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** {@code @ExtendWith(LocalS3.class)}: the real local S3Proxy from infra/ is up before the tests. */
public final class LocalS3 implements BeforeAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        LocalInfra.s3(context);
    }
}
