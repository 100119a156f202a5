package org.clinlora.platform.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.clinlora.model.base.Compute;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.metrics.MulticlassAuroc;
import org.clinlora.model.task.ScoreFunction;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.train.ClassWeighting;
import org.clinlora.model.train.DownstreamProtocol;
import org.clinlora.model.train.Hyperparameters;
import org.clinlora.model.train.ModelSelection;
import org.clinlora.model.train.PaperDefaults;
import org.clinlora.model.train.Stacking;
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
 *       publish the epoch with the best macro AUROC ({@code false}: the last epoch);
 *   <li>{@code protocol} (downstream): {@code classWeighting} (none | inverse-frequency), {@code selection}
 *       (best-validation-auroc | lowest-validation-loss | last-epoch; wins over selectBestEpoch, which may not
 *       contradict it), {@code multiclassAuroc} (ovr | ovo), {@code multilabelScores} (sigmoid | softmax) and
 *       {@code stacking} (sum | active-only) — {@link DownstreamProtocol}; absent choices are this project's defaults;
 *   <li>{@code optim.warmupSteps}: warm-up in optimizer steps (a fraction allowed, as transformers takes it), instead
 *       of {@code warmupRatio}.
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
        String mode,
        Protocol protocol) {
    public static final String LORA = "lora", FULL = "full";

    /** A spec without {@code protocol}: this project's downstream protocol. */
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
            Boolean selectBestEpoch,
            String mode) {
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
                mode,
                null);
    }

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
                null,
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
            Double maxGradNorm,
            Double warmupSteps) {
        /** Warm-up as a ratio (or the default). */
        public Optim(
                Double learningRate,
                Double warmupRatio,
                Integer batchSize,
                Integer gradientAccumulation,
                Integer epochs,
                Integer maxSteps,
                Double weightDecay,
                Double maxGradNorm) {
            this(
                    learningRate,
                    warmupRatio,
                    batchSize,
                    gradientAccumulation,
                    epochs,
                    maxSteps,
                    weightDecay,
                    maxGradNorm,
                    null);
        }
    }

    /** The downstream protocol's choices by their names ({@link DownstreamProtocol}); absent ones take its defaults. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Protocol(
            String classWeighting, String selection, String multiclassAuroc, String multilabelScores, String stacking) {
        /** The model library's protocol, each name checked. */
        public DownstreamProtocol parsed() {
            return new DownstreamProtocol(
                    classWeighting == null ? null : ClassWeighting.parse(classWeighting),
                    selection == null ? null : ModelSelection.parse(selection),
                    multiclassAuroc == null ? null : MulticlassAuroc.parse(multiclassAuroc),
                    multilabelScores == null ? null : ScoreFunction.parse(multilabelScores),
                    stacking == null ? null : Stacking.parse(stacking));
        }

        /** The completed choices, every one named. */
        public static Protocol of(DownstreamProtocol p) {
            Map<String, String> d = p.describe();
            return new Protocol(
                    d.get("classWeighting"),
                    d.get("selection"),
                    d.get("multiclassAuroc"),
                    d.get("multilabelScores"),
                    d.get("stacking"));
        }
    }

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
        Protocol completedProtocol = completedProtocol(domainAdaptation);
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
                completedProtocol == null
                        ? false
                        : !ModelSelection.parse(completedProtocol.selection()).equals(ModelSelection.LAST_EPOCH),
                full ? FULL : null,
                completedProtocol);
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

    /**
     * The downstream protocol completed (null for domain adaptation, which has none); {@code selectBestEpoch} says the
     * same as {@code protocol.selection} or is refused.
     */
    private Protocol completedProtocol(boolean domainAdaptation) {
        if (domainAdaptation) {
            if (protocol != null) throw new IllegalArgumentException("protocol is for downstream jobs");
            return null;
        }
        DownstreamProtocol p;
        try {
            p = protocol == null ? DownstreamProtocol.DEFAULT : protocol.parsed();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("protocol." + e.getMessage());
        }
        boolean lastEpoch = Boolean.FALSE.equals(selectBestEpoch);
        if (protocol == null || protocol.selection() == null) {
            p = p.withSelection(lastEpoch ? ModelSelection.LAST_EPOCH : ModelSelection.BEST_VALIDATION_AUROC);
        } else if (selectBestEpoch != null && lastEpoch != (p.selection() == ModelSelection.LAST_EPOCH)) {
            throw new IllegalArgumentException("selectBestEpoch " + selectBestEpoch + " contradicts protocol.selection "
                    + p.selection().id() + "; give one of them");
        }
        return Protocol.of(p);
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
                // Warm-up in steps leaves the ratio absent: a completed spec completes again unchanged.
                given.warmupSteps() != null ? null : or(given.warmupRatio(), defaults.warmupRatio()),
                or(given.batchSize(), defaults.batchSize()),
                or(given.gradientAccumulation(), defaults.gradientAccumulation()),
                or(given.epochs(), defaults.epochs()),
                given.maxSteps(),
                or(given.weightDecay(), defaults.weightDecay()),
                or(given.maxGradNorm(), defaults.maxGradNorm()),
                given.warmupSteps());
        if (given.warmupSteps() != null && given.warmupRatio() != null)
            throw new IllegalArgumentException("optim: give warmupRatio or warmupSteps, not both");
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
                mode,
                protocol);
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
                mode,
                protocol);
    }

    public TaskKind taskKind() {
        return TaskKind.parse(kind);
    }

    /** The downstream protocol of a completed spec ({@link DownstreamProtocol#DEFAULT} for domain adaptation). */
    public DownstreamProtocol downstreamProtocol() {
        return protocol == null ? DownstreamProtocol.DEFAULT : protocol.parsed();
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
                or(optim.warmupRatio(), 0.0), // unused beside warmupSteps
                optim.batchSize(),
                optim.gradientAccumulation(),
                optim.epochs(),
                optim.maxSteps(),
                optim.weightDecay(),
                optim.maxGradNorm(),
                seed,
                Boolean.TRUE.equals(headOnly),
                optim.warmupSteps());
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
