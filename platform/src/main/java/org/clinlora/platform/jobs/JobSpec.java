package org.clinlora.platform.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Locale;
import org.clinlora.model.base.Compute;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.train.Hyperparameters;
import org.clinlora.model.train.PaperDefaults;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.store.StoreLayout;

/**
 * A training job as a user or pipeline asks for it (REST body of POST /v1/jobs, or {@code spec} of a TrainingRequest on
 * training.requests). Absent fields take the paper's defaults for the kind; {@link #withDefaults()} returns the
 * completed, validated spec, which is what is stored and what a resumed job runs.
 *
 * <ul>
 *   <li>{@code kind}: {@code domain_adaptation} (Clinical LoRA, causal LM) or {@code downstream} (LoRA + score head);
 *   <li>{@code datasets.train} (required), {@code .validation}, {@code .test}: dataset ids; when validation or test is
 *       absent, the train dataset's own split of that name is used, and a separate dataset is used whole;
 *   <li>{@code parent}: {@code name@version|alias} from the registry, active underneath during training,
 *       {@code parentTrainable} true (the paper's "fine-tuned Clinical LoRA") or false (frozen);
 *   <li>{@code headOnly}: the frozen-base baseline — only the score head trains;
 *   <li>{@code lora.targetModules}: absent means the base architecture's (LLaMA q_proj+v_proj, BERT query+value);
 *   <li>{@code mode} (downstream): {@code lora} (default) trains an adapter; {@code full} trains every parameter of the
 *       base and its classifier — the paper's fully fine-tuned BERT baselines — and publishes the result as a new base
 *       model {@code outputName} (a Hugging Face model directory) instead of an adapter;
 *   <li>{@code selectBestEpoch} (downstream, default true): score the validation split at the end of every epoch and
 *       publish the epoch with the best macro AUROC, as the paper's training loop did.
 * </ul>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobSpec(
        String jobId,
        String kind,
        String baseModel,
        Datasets datasets,
        String parent,
        Boolean parentTrainable,
        Boolean headOnly,
        String outputName,
        String task,
        Lora lora,
        Optim optim,
        Long seed,
        String device,
        String precision,
        Integer checkpointEvery,
        Boolean selectBestEpoch,
        String mode) {
    public static final String LORA = "lora", FULL = "full";

    /** A spec without {@code mode}: a LoRA job. */
    public JobSpec(
            String jobId,
            String kind,
            String baseModel,
            Datasets datasets,
            String parent,
            Boolean parentTrainable,
            Boolean headOnly,
            String outputName,
            String task,
            Lora lora,
            Optim optim,
            Long seed,
            String device,
            String precision,
            Integer checkpointEvery,
            Boolean selectBestEpoch) {
        this(
                jobId,
                kind,
                baseModel,
                datasets,
                parent,
                parentTrainable,
                headOnly,
                outputName,
                task,
                lora,
                optim,
                seed,
                device,
                precision,
                checkpointEvery,
                selectBestEpoch,
                null);
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Datasets(String train, String validation, String test) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Lora(Integer r, Double alpha, Double dropout, List<String> targetModules) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Optim(
            Double learningRate,
            Double warmupRatio,
            Integer batchSize,
            Integer gradientAccumulation,
            Integer epochs,
            Integer maxSteps,
            Double weightDecay,
            Double maxGradNorm) {}

    /** The completed spec; a bad field is an IllegalArgumentException that names it. */
    public JobSpec withDefaults() {
        TaskKind taskKind = TaskKind.parse(kind);
        boolean domainAdaptation = taskKind == TaskKind.CAUSAL_LM;
        checkNames();
        boolean head = Boolean.TRUE.equals(headOnly);
        if (head && domainAdaptation) throw new IllegalArgumentException("headOnly is for downstream jobs");
        boolean full = checkedMode(domainAdaptation, head).equals(FULL);
        Hyperparameters defaults = PaperDefaults.of(taskKind, 0);
        Lora completedLora = completedLora(defaults);
        Optim completedOptim = completedOptim(defaults);
        String dev = Compute.checkDevice(device);
        String prec = Compute.Precision.parse(precision).id();
        int ckpt = checkpointEvery == null ? 50 : checkpointEvery;
        if (ckpt < 0) throw new IllegalArgumentException("checkpointEvery must be >= 0 (0: no checkpoints)");
        if (domainAdaptation && Boolean.TRUE.equals(selectBestEpoch))
            throw new IllegalArgumentException(
                    "selectBestEpoch is for downstream jobs (it selects by validation macro AUROC)");
        JobSpec out = new JobSpec(
                jobId,
                taskKind.jobKind(),
                baseModel,
                datasets,
                parent,
                parent == null ? null : Boolean.TRUE.equals(parentTrainable),
                head ? Boolean.TRUE : null,
                outputName,
                task == null ? (domainAdaptation ? "clinical-lm" : outputName) : task,
                completedLora,
                completedOptim,
                seed == null ? 0L : seed,
                dev,
                prec,
                ckpt,
                !domainAdaptation && !Boolean.FALSE.equals(selectBestEpoch),
                full ? FULL : null);
        out.hyper(defaults.targetModules()); // range checks of Hyperparameters and LoraConfig
        new LoraConfig(
                taskKind.peftTaskType(),
                completedLora.r(),
                completedLora.alpha(),
                completedLora.dropout(),
                or(completedLora.targetModules(), defaults.targetModules()),
                List.of(),
                false,
                null);
        return out;
    }

    /** The ids and names a job refers to: present where required, and safe as object-store path segments. */
    private void checkNames() {
        if (jobId != null) name("jobId", jobId);
        if (baseModel == null)
            throw new IllegalArgumentException("baseModel is required (a model id in the object store)");
        name("baseModel", baseModel);
        if (datasets == null || datasets.train() == null)
            throw new IllegalArgumentException("datasets.train is required (a dataset id from tokenizer-svc)");
        name("datasets.train", datasets.train());
        if (datasets.validation() != null) name("datasets.validation", datasets.validation());
        if (datasets.test() != null) name("datasets.test", datasets.test());
        if (outputName == null)
            throw new IllegalArgumentException("outputName is required (the adapter name to publish)");
        name("outputName", outputName);
        if (parent != null) {
            try {
                AdapterRef.parse(parent);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("parent: " + e.getMessage());
            }
        }
        if (parent == null && Boolean.TRUE.equals(parentTrainable))
            throw new IllegalArgumentException("parentTrainable needs a parent");
    }

    /** {@code lora} or {@code full}; full fine-tuning is for downstream jobs on a bare base. */
    private String checkedMode(boolean domainAdaptation, boolean head) {
        String m = mode == null ? LORA : mode.toLowerCase(Locale.ROOT);
        if (!m.equals(LORA) && !m.equals(FULL))
            throw new IllegalArgumentException("mode must be lora or full, got '" + mode + "'");
        if (m.equals(FULL) && (domainAdaptation || parent != null || head)) {
            throw new IllegalArgumentException(
                    "mode full (full fine-tuning) is for downstream jobs on a bare base: no parent, no headOnly");
        }
        return m;
    }

    /**
     * The LoRA settings with the paper's defaults where absent. Absent targets stay absent: the base's architecture
     * supplies them when the job runs (LLaMA q_proj+v_proj, BERT query+value).
     */
    private Lora completedLora(Hyperparameters defaults) {
        Lora given = lora == null ? new Lora(null, null, null, null) : lora;
        Lora completed = new Lora(
                or(given.r(), defaults.r()),
                or(given.alpha(), defaults.loraAlpha()),
                or(given.dropout(), defaults.loraDropout()),
                given.targetModules() == null ? null : List.copyOf(given.targetModules()));
        if (completed.r() < 1 || completed.r() > 1024)
            throw new IllegalArgumentException("lora.r must be between 1 and 1024");
        return completed;
    }

    /** The optimiser settings with the paper's defaults where absent, within the service's bounds. */
    private Optim completedOptim(Hyperparameters defaults) {
        Optim given = optim == null ? new Optim(null, null, null, null, null, null, null, null) : optim;
        Optim completed = new Optim(
                or(given.learningRate(), defaults.learningRate()),
                or(given.warmupRatio(), defaults.warmupRatio()),
                or(given.batchSize(), defaults.batchSize()),
                or(given.gradientAccumulation(), defaults.gradientAccumulation()),
                or(given.epochs(), defaults.epochs()),
                given.maxSteps(),
                or(given.weightDecay(), defaults.weightDecay()),
                or(given.maxGradNorm(), defaults.maxGradNorm()));
        if (completed.batchSize() > 1024 || completed.gradientAccumulation() > 4096 || completed.epochs() > 1000)
            throw new IllegalArgumentException(
                    "optim: batchSize <= 1024, gradientAccumulation <= 4096, epochs <= 1000");
        if (completed.weightDecay() < 0 || completed.maxGradNorm() < 0)
            throw new IllegalArgumentException("optim: weightDecay and maxGradNorm must be >= 0");
        return completed;
    }

    /** The same spec with the LoRA targets the base's architecture supplies when the spec names none. */
    public JobSpec withDefaultTargets(List<String> defaultTargets) {
        if (lora.targetModules() != null) return this;
        return new JobSpec(
                jobId,
                kind,
                baseModel,
                datasets,
                parent,
                parentTrainable,
                headOnly,
                outputName,
                task,
                new Lora(lora.r(), lora.alpha(), lora.dropout(), List.copyOf(defaultTargets)),
                optim,
                seed,
                device,
                precision,
                checkpointEvery,
                selectBestEpoch,
                mode);
    }

    public JobSpec withJobId(String id) {
        return new JobSpec(
                id,
                kind,
                baseModel,
                datasets,
                parent,
                parentTrainable,
                headOnly,
                outputName,
                task,
                lora,
                optim,
                seed,
                device,
                precision,
                checkpointEvery,
                selectBestEpoch,
                mode);
    }

    public TaskKind taskKind() {
        return TaskKind.parse(kind);
    }

    /** Whether the run keeps its best epoch by validation macro AUROC (a completed spec). */
    public boolean keepsBestEpoch() {
        return Boolean.TRUE.equals(selectBestEpoch);
    }

    /** Whether the job fully fine-tunes the base (a completed spec). */
    public boolean fullFineTuning() {
        return FULL.equals(mode);
    }

    public boolean domainAdaptation() {
        return taskKind() == TaskKind.CAUSAL_LM;
    }

    /**
     * The trainer settings of a completed spec on a base whose architecture's LoRA targets are {@code defaultTargets}
     * (used when the spec names none).
     */
    public Hyperparameters hyper(List<String> defaultTargets) {
        return new Hyperparameters(
                lora.r(),
                lora.alpha(),
                lora.dropout(),
                or(lora.targetModules(), defaultTargets),
                optim.learningRate(),
                optim.warmupRatio(),
                optim.batchSize(),
                optim.gradientAccumulation(),
                optim.epochs(),
                optim.maxSteps(),
                optim.weightDecay(),
                optim.maxGradNorm(),
                seed,
                Boolean.TRUE.equals(headOnly));
    }

    private static <T> T or(T v, T d) {
        return v == null ? d : v;
    }

    private static void name(String field, String value) {
        try {
            StoreLayout.requireName(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": " + e.getMessage());
        }
    }
}
