package org.clinlora.trainer.jobs;

import io.quarkus.arc.DefaultBean;
import jakarta.inject.Singleton;

/**
 * Told each time a running job's checkpoint is recorded (tensors, curve and job record all written). The service's own
 * does nothing; a test puts its own bean in its place to stop a job there the way a killed process stops.
 */
public interface CheckpointHook {
    void recorded(String jobId, int step);

    /** The default: nothing happens after a checkpoint. */
    @Singleton
    @DefaultBean
    final class None implements CheckpointHook {
        @Override
        public void recorded(String jobId, int step) {}
    }
}
