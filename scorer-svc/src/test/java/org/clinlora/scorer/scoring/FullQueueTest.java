package org.clinlora.scorer.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.clinlora.platform.api.FailureMappers;
import org.clinlora.platform.failure.Busy;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.registry.AdapterSource;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.testing.InMemoryBlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full scoring queue is the platform's {@code Busy} failure — 429 with Retry-After, as in the trainer and the
 * tokenizer — never 503, which would tell a load balancer that this pod cannot serve at all.
 */
class FullQueueTest {
    @TempDir
    Path dir;

    @Test
    void rowsBeyondTheQueueAreRefusedAsBusyWhichIs429() {
        AdapterSource registry = new AdapterSource() {
            @Override
            public RegistryClient.Resolved resolve(AdapterRef ref) {
                throw new IllegalStateException("never reached");
            }

            @Override
            public Path download(AdapterCard c, Path to) {
                throw new IllegalStateException("never reached");
            }
        };
        TestScorerConfig config = new TestScorerConfig(Optional.empty(), dir, 128, 64);
        ScoringModel model =
                new ScoringModel(new ModelStore(new InMemoryBlobStore()), new BaseModelBinding(config), config);
        BatchScheduler scheduler =
                new BatchScheduler(model, new AdapterCache(registry, model, config), 8, Duration.ofMillis(5), 4);
        List<long[]> rows = Collections.nCopies(5, new long[] {1, 2, 3});
        Busy busy = assertThrows(Busy.class, () -> scheduler.submit(null, rows, Collections.nCopies(5, false)));
        assertEquals("queue_full", busy.reason());
        assertEquals(429, FailureMappers.status(busy));
        assertEquals(0, scheduler.queuedRows(), "a refused request leaves nothing queued");
    }
}
