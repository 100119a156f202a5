package org.clinlora.trainer.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.clinlora.model.train.Trainer;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.testing.InMemoryBlobStore;
import org.junit.jupiter.api.Test;

/**
 * A job's curves as {@code GET /v1/jobs/{id}/metrics} answers them: the per-epoch validation series beside the per-step
 * one, kept in the store, and after a resume exactly one point per epoch.
 */
class MetricsHistoryTest {
    static Trainer.Progress step(int n) {
        return new Trainer.Progress(n, 6, n / 2.0, 1.0 / n, 0.01, 100, 0, 0.5, 1);
    }

    @Test
    void epochsAreKeptBesideTheStepsAndEveryPollGetsThemAll() {
        InMemoryBlobStore store = new InMemoryBlobStore();
        MetricsHistory history = new MetricsHistory(store);
        history.begin("j");
        for (int i = 1; i <= 4; i++) history.log("j", step(i));
        history.logEpoch("j", new Trainer.EpochScore(1, 2, 0.71, 0.62));
        history.logEpoch("j", new Trainer.EpochScore(2, 4, Double.NaN, 0.55));

        MetricsHistory.Curve polled = history.curve("j", 3);
        assertEquals(
                List.of(4),
                polled.steps().stream().map(MetricsHistory.Step::step).toList());
        assertEquals(2, polled.epochs().size(), "every epoch, whatever 'after' is");
        assertEquals(0.71, polled.epochs().get(0).validationMacroAuroc());
        assertNull(polled.epochs().get(1).validationMacroAuroc(), "a NaN AUROC (one-class labels) is absent");

        history.save("j");
        history.forget("j");
        MetricsHistory.Curve stored = history.curve("j", 0);
        assertEquals(4, stored.steps().size());
        assertEquals(
                List.of(2, 4),
                stored.epochs().stream().map(MetricsHistory.Epoch::step).toList());
    }

    @Test
    void aResumedJobReplacesTheEpochsAfterItsCheckpoint() {
        InMemoryBlobStore store = new InMemoryBlobStore();
        MetricsHistory history = new MetricsHistory(store);
        history.begin("j");
        for (int i = 1; i <= 4; i++) history.log("j", step(i));
        history.logEpoch("j", new Trainer.EpochScore(1, 2, 0.6, 0.7));
        history.logEpoch("j", new Trainer.EpochScore(2, 4, 0.65, 0.66));
        history.save("j"); // a checkpoint at step 4, then the process dies
        history.forget("j");

        // resumed from a checkpoint at step 2: steps 3.. and the epoch at step 4 are logged again
        history.begin("j");
        for (int i = 3; i <= 6; i++) history.log("j", step(i));
        history.logEpoch("j", new Trainer.EpochScore(2, 4, 0.68, 0.64));
        history.logEpoch("j", new Trainer.EpochScore(3, 6, 0.7, 0.6));
        MetricsHistory.Curve c = history.curve("j", 0);
        assertEquals(
                List.of(1, 2, 3, 4, 5, 6),
                c.steps().stream().map(MetricsHistory.Step::step).toList());
        assertEquals(
                List.of(2, 4, 6),
                c.epochs().stream().map(MetricsHistory.Epoch::step).toList());
        assertEquals(0.68, c.epochs().get(1).validationMacroAuroc(), "the resumed run's score replaces the old one");
    }

    @Test
    void curvesStoredBeforeEpochsWereKeptStillRead() {
        InMemoryBlobStore store = new InMemoryBlobStore();
        store.put(
                StoreLayout.trainingJobMetrics("old"),
                "{\"jobId\":\"old\",\"steps\":[{\"step\":1,\"epoch\":0.5,\"loss\":2.0,\"learningRate\":0.1,"
                        .concat("\"tokensPerSecond\":10,\"lossScale\":1,\"at\":\"2026-01-01T00:00:00Z\"}]}")
                        .getBytes(StandardCharsets.UTF_8),
                Map.of());
        MetricsHistory.Curve c = new MetricsHistory(store).curve("old", 0);
        assertEquals(1, c.steps().size());
        assertEquals(List.of(), c.epochs());
    }
}
