package org.clinlora.trainer.jobs;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.clinlora.model.train.Trainer;

/**
 * The Trainer's listener for the job running now: each step goes to the live progress and the {@link JobJournal}, each
 * checkpoint to the store and the job record, and a cancel request stops the run at the next micro-batch. A replica
 * that lost the job's lease stops here ({@link LeaseLost}) without recording anything more: the new owner resumes it.
 */
final class RunningJob implements Trainer.Listener {
    /** Stops a job whose lease this replica lost, the way a killed process stops: its record is the new owner's. */
    static final class LeaseLost extends RuntimeException {
        LeaseLost() {
            super("the job's lease was lost; another replica resumes it");
        }
    }

    private final String id;
    private final JobJournal journal;
    private final CheckpointHook hook;
    private final BooleanSupplier leaseLost;
    private final BooleanSupplier cancelRequested;
    private volatile TrainingJob record;
    private volatile TrainingJob.Progress progress;

    RunningJob(
            TrainingJob started,
            JobJournal journal,
            CheckpointHook hook,
            BooleanSupplier leaseLost,
            BooleanSupplier cancelRequested) {
        this.id = started.jobId();
        this.record = started;
        this.journal = journal;
        this.hook = hook;
        this.leaseLost = leaseLost;
        this.cancelRequested = cancelRequested;
    }

    @Override
    public void progress(Trainer.Progress p) {
        progress = new TrainingJob.Progress(
                p.step(), p.totalSteps(), p.epoch(), p.loss(), p.learningRate(), p.tokensPerSecond(), p.etaSeconds());
        journal.stepped(id, p);
    }

    @Override
    public void epochScored(Trainer.EpochScore score) {
        journal.epochScored(id, score);
    }

    @Override
    public void checkpoint(int step, Map<String, NDArray> tensors) throws IOException {
        requireLease();
        record = journal.checkpointed(latest(), step, tensors);
        hook.recorded(id, step);
    }

    @Override
    public boolean cancelled() {
        requireLease();
        return cancelRequested.getAsBoolean();
    }

    /** The last step's progress, or null before the first. */
    TrainingJob.Progress progress() {
        return progress;
    }

    /** The job's record as it stands now: the last saved one with the last step's progress. */
    TrainingJob latest() {
        TrainingJob.Progress p = progress;
        return p == null ? record : record.withProgress(p);
    }

    private void requireLease() {
        if (leaseLost.getAsBoolean()) throw new LeaseLost();
    }
}
