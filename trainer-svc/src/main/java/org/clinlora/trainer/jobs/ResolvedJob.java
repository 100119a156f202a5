package org.clinlora.trainer.jobs;

import java.util.List;
import org.clinlora.model.base.Compute;
import org.clinlora.platform.jobs.JobSpec;
import org.clinlora.platform.registry.AdapterCard;

/**
 * A job as its submission checked it: the completed spec, the device and precision it runs with, and its parent stack
 * from the registry (root ancestor first, the direct parent last; empty without a parent), every card on the job's base
 * model. The run uses exactly this, so it trains on what the submission accepted. The compute is null where the API
 * role admitted the job (it runs none; the worker resolves the job again on its own device).
 */
public record ResolvedJob(JobSpec spec, Compute compute, List<AdapterCard> lineage) {
    public ResolvedJob {
        lineage = List.copyOf(lineage);
    }

    public String id() {
        return spec.jobId();
    }

    /** The adapter the job stacks on, or null without a parent. */
    public AdapterCard directParent() {
        return lineage.isEmpty() ? null : lineage.get(lineage.size() - 1);
    }

    /** Whether the direct parent trains with the new adapter (the paper's "fine-tuned Clinical LoRA"). */
    public boolean parentTrains() {
        return directParent() != null && Boolean.TRUE.equals(spec.parentTrainable());
    }
}
