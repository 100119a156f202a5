package org.clinlora.trainer.jobs;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.base.Compute;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.jobs.JobSpec;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.registry.AdapterSource;
import org.clinlora.platform.registry.Lineage;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.registry.RegistryFailures;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.StoreLayout;

/**
 * What a submitted job must satisfy before it is accepted, checked in this order: a valid spec (400), a known base
 * model that can train it (404, 422 unsupported_by_base), built datasets (404), a parent adapter on the same base model
 * (404, 422 wrong_base_model, 503 while the registry is down), and a device this process has (422 device_unavailable).
 * The answer is the {@link ResolvedJob} the run uses.
 */
@ApplicationScoped
public class JobAdmission {
    private final BlobStore store;
    private final ModelStore models;
    private final AdapterSource registry;

    /** {@code registry}: registry-svc, which resolves a parent reference with its lineage. */
    public JobAdmission(BlobStore store, ModelStore models, AdapterSource registry) {
        this.store = store;
        this.models = models;
        this.registry = registry;
    }

    /** The completed spec (defaults, a job id, the base's LoRA targets), checked and resolved. */
    public ResolvedJob admit(JobSpec request) {
        return admit(request, true);
    }

    /**
     * {@code onThisDevice} false (trainer-svc's API role, which runs no job): the device is checked by the worker that
     * runs the job, not against this process's GPUs; the answer's compute is null.
     */
    public ResolvedJob admit(JobSpec request, boolean onThisDevice) {
        JobSpec spec = completed(request);
        requireDatasets(spec);
        return onThisDevice ? resolve(spec) : new ResolvedJob(spec, null, parentStack(spec));
    }

    /**
     * The parent stack and the compute of a completed spec: at submission, and for a job this process did not admit
     * (recovered from the store after a restart, or left by another replica).
     */
    public ResolvedJob resolve(JobSpec spec) {
        List<AdapterCard> lineage = parentStack(spec);
        return new ResolvedJob(spec, compute(spec), lineage);
    }

    private JobSpec completed(JobSpec request) {
        JobSpec spec;
        try {
            spec = request.withDefaults();
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest(e.getMessage());
        }
        String id = spec.jobId() != null
                ? spec.jobId()
                : "job-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        spec = spec.withJobId(id);
        if (models.manifestSha256(spec.baseModel()).isEmpty())
            throw new NotFound("unknown base model '" + spec.baseModel() + "'");
        // What the base's architecture trains, and its LoRA targets when none are given, now rather than at the run.
        BaseModelConfig base = models.config(spec.baseModel())
                .orElseThrow(() -> new NotFound("unknown base model '" + request.baseModel() + "'"));
        spec = spec.withDefaultTargets(base.defaultLoraTargets());
        String refused = base.cannotTrain(
                spec.taskKind(),
                spec.fullFineTuning(),
                Compute.Precision.parse(spec.precision()) == Compute.Precision.FP16,
                spec.lora().targetModules());
        if (refused != null)
            throw new Unprocessable("unsupported_by_base", "base model '" + spec.baseModel() + "': " + refused);
        return spec;
    }

    private void requireDatasets(JobSpec spec) {
        JobSpec.Datasets d = spec.datasets();
        for (String ds : new String[] {d.train(), d.validation(), d.test()}) {
            if (ds != null
                    && store.getBytes(StoreLayout.dataset(ds) + DatasetBuilder.MANIFEST)
                            .isEmpty()) {
                throw new NotFound("unknown dataset '" + ds + "' (not built, or not finished)");
            }
        }
    }

    private static Compute compute(JobSpec spec) {
        try {
            return Compute.parse(spec.device(), spec.precision());
        } catch (IllegalArgumentException e) {
            throw new Unprocessable("device_unavailable", e.getMessage());
        }
    }

    private List<AdapterCard> parentStack(JobSpec spec) {
        if (spec.parent() == null) return List.of();
        try {
            List<AdapterCard> lineage =
                    registry.resolve(AdapterRef.parse(spec.parent())).lineage();
            Lineage.requireBase(lineage, spec.baseModel());
            return lineage;
        } catch (Lineage.WrongBaseModelException e) {
            throw new Unprocessable("wrong_base_model", e.getMessage());
        } catch (RegistryClient.RegistryException | IOException e) {
            throw RegistryFailures.of(e, "parent adapter", spec.parent());
        }
    }
}
