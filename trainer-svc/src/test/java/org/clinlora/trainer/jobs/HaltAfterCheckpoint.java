package org.clinlora.trainer.jobs;

import jakarta.inject.Singleton;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tests' {@link CheckpointHook} (in place of the service's default, which does nothing): a job armed with
 * {@link #haltAfterCheckpoint} stops right after recording that checkpoint the way a killed process would — no status
 * change, no event, no clean-up — because the Error it throws passes every handler up to the worker.
 */
@Singleton
public class HaltAfterCheckpoint implements CheckpointHook {
    static final class SimulatedCrash extends Error {
        SimulatedCrash() {
            super("simulated process death after a checkpoint");
        }
    }

    private final Map<String, Integer> armed = new ConcurrentHashMap<>();
    private final Set<String> halted = ConcurrentHashMap.newKeySet();

    /** Job {@code id} stops after writing the checkpoint of {@code step}. */
    public void haltAfterCheckpoint(String id, int step) {
        armed.put(id, step);
    }

    /** Whether job {@code id} has been stopped here. */
    public boolean halted(String id) {
        return halted.contains(id);
    }

    @Override
    public void recorded(String jobId, int step) {
        if (armed.remove(jobId, step)) {
            halted.add(jobId);
            throw new SimulatedCrash();
        }
    }
}
