package org.clinlora.cli.client;

import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.S3Settings;

/** The bucket the launcher's services use (CLINLORA_S3_* or the local S3Proxy's defaults), checked to exist. */
public final class LocalBucket {
    private LocalBucket() {}

    public static S3Settings settings() {
        return S3Settings.fromEnv(System.getenv());
    }

    /** The store, or a one-line error that says to start the local infrastructure. */
    public static ObjectStore open() {
        S3Settings s3 = settings();
        ObjectStore store = new ObjectStore(s3);
        if (!store.bucketExists())
            throw new IllegalStateException(
                    "bucket " + s3.bucket() + " not found at " + s3.endpoint() + " (./clinlora infra up)");
        return store;
    }
}
