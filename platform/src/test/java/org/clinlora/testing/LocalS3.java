package org.clinlora.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * {@code @ExtendWith(LocalS3.class)}: the real local S3Proxy from infra/ is up before the tests, and the test class has
 * a bucket of its own ({@link TestBucket}: {@link LocalInfra#s3Settings()}), removed with everything in it after them.
 */
public final class LocalS3 implements BeforeAllCallback, AfterAllCallback {
    private static final String BUCKET = "bucket";

    @Override
    public void beforeAll(ExtensionContext context) {
        LocalInfra.s3(context);
        store(context).put(BUCKET, TestBucket.open());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        String bucket = store(context).remove(BUCKET, String.class);
        if (bucket != null) TestBucket.close(bucket);
    }

    private static ExtensionContext.Store store(ExtensionContext context) {
        return context.getStore(ExtensionContext.Namespace.create(LocalS3.class, context.getRequiredTestClass()));
    }
}
