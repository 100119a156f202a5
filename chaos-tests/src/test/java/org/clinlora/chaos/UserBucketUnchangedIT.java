package org.clinlora.chaos;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Optional;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.UserBucket;
import org.junit.jupiter.api.Test;

/**
 * The guard at the end of {@code mvn verify}: the user's own bucket ({@code clinlora}, what {@code ./clinlora demo} and
 * the console use) holds exactly what it held before the build's first test touched the object store — the same keys
 * with the same ETags and sizes, or still absent. Every test and bench writes to a bucket of its own
 * ({@code TestBucket}), and this is where one that does not is caught. It runs in an execution of its own after every
 * other integration test of the last module of the reactor (chaos-tests' pom).
 */
class UserBucketUnchangedIT {

    @Test
    void theUsersBucketIsAsTheBuildFoundIt() {
        Optional<List<String>> before = UserBucket.snapshot();
        assumeTrue(
                before.isPresent(),
                "no test of this build (" + UserBucket.build() + ") used the object store: nothing to compare");
        // Started again when it is down (the last test stopped what it started), and stopped again after.
        boolean started = LocalInfra.startIfDown("s3", LocalInfra.S3_PORT);
        List<String> after;
        try {
            after = UserBucket.listing();
        } finally {
            if (started) LocalInfra.stop("s3");
        }
        List<String> changes = UserBucket.differences(before.get(), after);
        System.out.printf(
                "RESULT user bucket %s: %d object(s) before the build's tests, %d after, %d change(s)%n",
                LocalInfra.USER_BUCKET, count(before.get()), count(after), changes.size());
        assertTrue(
                changes.isEmpty(),
                "the tests changed the user's bucket " + LocalInfra.USER_BUCKET + " (snapshot "
                        + UserBucket.snapshotFile() + "):\n  " + String.join("\n  ", changes));
    }

    private static long count(List<String> listing) {
        return listing.equals(List.of("absent")) ? 0 : listing.size();
    }
}
