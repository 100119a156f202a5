package org.clinlora.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.ScratchBucket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test scope's bucket against the real S3Proxy: made empty and named for this run, the scope's objects land there and
 * not in the user's bucket, and closing removes the bucket with everything in it; a class's scope inside an
 * application's comes back to the application's; the user's bucket can be neither taken over nor removed.
 */
@ExtendWith(LocalS3.class)
class TestBucketIT {

    @Test
    void aScopesObjectsGoToItsOwnBucketWhichIsGoneWithThemWhenItCloses() {
        List<String> userBefore = UserBucket.listing();
        String bucket = TestBucket.open();
        try {
            assertTrue(bucket.matches("test-platform-" + TestBucket.run() + "-[0-9a-f]{4}"), bucket);
            assertEquals(bucket, TestBucket.current());
            ObjectStore store = new ObjectStore(LocalInfra.s3Settings());
            assertEquals(List.of(), store.list(""), "a new bucket is empty");
            store.put("adapters/x/1/adapter_model.safetensors", new byte[] {1, 2, 3}, Map.of());
            store.put("models/tiny/config.json", "{}".getBytes(), Map.of());
            assertEquals(2, store.list("").size());
        } finally {
            TestBucket.close(bucket);
        }
        assertFalse(new ObjectStore(LocalInfra.s3Settings(bucket)).bucketExists(), "removed with its objects");
        assertNotEquals(bucket, TestBucket.current(), "the class's own bucket is current again");
        assertEquals(userBefore, UserBucket.listing(), "the user's bucket is as it was");
        TestBucket.close(bucket); // closing twice (two resources of one boot) is nothing
    }

    @Test
    void aScopeOpenedInsideAnotherGetsItsOwnBucketAndTheOuterOneIsCurrentAgainAfterIt() {
        String outer = TestBucket.current(); // this class's, from LocalS3
        assertEquals(outer, TestBucket.openShared(), "a resource of the same boot shares the open bucket");
        String inner = TestBucket.open();
        assertNotEquals(outer, inner);
        assertEquals(inner, TestBucket.current());
        TestBucket.close(inner);
        assertEquals(outer, TestBucket.current());
        assertTrue(new ObjectStore(LocalInfra.s3Settings(outer)).bucketExists());
    }

    @Test
    void theUsersBucketIsNeverTakenOverNorRemoved() {
        assertThrows(
                IllegalArgumentException.class,
                () -> ScratchBucket.remove(LocalInfra.s3Settings(LocalInfra.USER_BUCKET)));
        assertThrows(
                IllegalArgumentException.class,
                () -> ScratchBucket.create(LocalInfra.s3Settings(LocalInfra.USER_BUCKET), LocalInfra.USER_BUCKET));
        // A test- name that exists already is someone else's: refused, left as it is.
        String current = TestBucket.current();
        assertThrows(IllegalStateException.class, () -> ScratchBucket.create(LocalInfra.s3Settings(current), current));
        assertTrue(new ObjectStore(LocalInfra.s3Settings(current)).bucketExists());
        // Only what this run made and has open is removed: another run's name is refused.
        assertFalse(TestBucket.madeHere("test-platform-00000000-abcd"));
        assertFalse(TestBucket.madeHere(LocalInfra.USER_BUCKET));
        assertTrue(TestBucket.madeHere(current));
    }

    @Test
    void theBuildsSnapshotOfTheUsersBucketIsTakenBeforeTheFirstTestBucket() {
        assertTrue(UserBucket.snapshot().isPresent(), "taken by the first TestBucket.open() of this build");
        assertTrue(UserBucket.snapshotFile().toString().endsWith("target/test-buckets/user-bucket-before.txt"));
    }
}
