package org.clinlora.cli.experiment;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.clinlora.model.base.Compute;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TaskSource;
import org.clinlora.model.metrics.MulticlassAuroc;
import org.clinlora.model.task.ScoreFunction;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.NoteNormalizer;
import org.clinlora.model.train.ClassWeighting;
import org.clinlora.model.train.DownstreamProtocol;
import org.clinlora.model.train.Hyperparameters;
import org.clinlora.model.train.ModelSelection;
import org.clinlora.model.train.PaperDefaults;
import org.clinlora.model.train.Stacking;
import org.clinlora.platform.jobs.JobSpec;

/**
 * The paper's comparison as a JSON file ({@code ./clinlora experiment --config FILE}). Every field is optional: absent
 * data means the synthetic corpus, an absent base model a tiny random LLaMA, absent LoRA and optimiser fields the
 * paper's settings for the stage (Clinical LoRA r=16 α=32 lr 3e-4; Downstream LoRA r=8 α=4 dropout 0.1 lr 5e-5).
 * Relative paths are resolved against the config file's folder. Unknown fields are an error, so a typo is not a
 * silently different experiment.
 *
 * @param baseModel a Hugging Face LLaMA folder (config.json, model.safetensors, tokenizer.json); absent:
 *     {@link #tinyModel}
 * @param notes MIMIC-IV-Note CSV files (discharge, radiology; gzip or plain) for the Clinical LoRA
 * @param taskFiles task name → its data ({@link TaskSource}): a CSV split by patient ({@code id,subject_id,text,label}
 *     or {@code ...,labels} with ';'-separated codes), or the recipe's own train/validation/test files with
 *     {@code "format": "core"} or {@code "beep"}
 * @param tasks which tasks to run, in table order (default: every task file, or the five synthetic tasks)
 * @param variants which of {@link Variant} to run (default: all four)
 * @param seeds every run is repeated with each seed (adapter init, data order, dropout); the first one also seeds the
 *     patient split of one-file tasks. {@code seed} is the one-seed shorthand
 * @param search learning rates tried for every downstream run, the one with the best validation macro AUROC kept
 * @param compareTo the variant every other is compared with by paired bootstrap (default: the trainable fused one, else
 *     the frozen fused one)
 * @param bootstrap resamples and seed of the paired bootstrap (1000, 1)
 * @param baselines the paper's comparison models: BERT-family encoders (a Hugging Face folder each; absent
 *     {@code model}: a tiny random BERT), fully fine-tuned ({@code mode: full}) or with LoRA ({@code mode: lora}), each
 *     a row of the same table with the same data, splits, seeds and downstream settings
 * @param protocol a preset ({@link Protocols}: {@code paper-text}, the default, {@code paper-code-v1},
 *     {@code paper-code-v2}) whose settings fill every field the file leaves out; the completed config names every
 *     knob, so a run states exactly what it did
 * @param stacking how the fused variants stack the Downstream LoRA on the Clinical LoRA: {@code sum} (both deltas),
 *     {@code active-only} (PEFT 0.4 as the paper's code ran it: the Downstream LoRA never applied; rows named
 *     {@code *_active_only}) or {@code both} (each fused variant in both modes, side by side)
 * @param labelSets task → a file listing the task's labels, one per line, in place of the training split's labels (the
 *     paper's code used fixed label maps); a row's label outside the list is dropped from it and counted
 * @param expectedRows task → rows expected per split (the paper's Table 1); results.md flags a split that differs
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ExperimentConfig(
        String name,
        String baseModel,
        TinyModel tinyModel,
        Synthetic synthetic,
        List<String> notes,
        Map<String, TaskSource> taskFiles,
        List<String> tasks,
        List<String> variants,
        Stage clinical,
        Stage downstream,
        String device,
        String precision,
        Long seed,
        List<Long> seeds,
        Search search,
        String compareTo,
        Bootstrap bootstrap,
        Double validationFraction,
        Double testFraction,
        List<Baseline> baselines,
        String protocol,
        String stacking,
        Map<String, String> labelSets,
        Map<String, Map<String, Long>> expectedRows) {

    /** A row of the results table: one of the four LLaMA variants or a baseline. */
    public interface Arm {
        String id();

        String description();
    }

    /**
     * A comparison model: {@code name} (its row id), {@code model} (a BERT folder: config.json with model_type bert,
     * safetensors, tokenizer.json) and {@code mode} ({@code full}: every parameter trained, the paper's fine-tuned
     * baselines; {@code lora}: the downstream stage's LoRA on query+value with the classifier saved); {@code optim}:
     * fields that replace the downstream stage's for this baseline (a search's learning rates still replace the rate).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Baseline(String name, String model, String mode, JobSpec.Optim optim) implements Arm {
        public static final List<String> MODES = List.of("full", "lora");

        @Override
        public String id() {
            return name;
        }

        @Override
        public String description() {
            return name + " ("
                    + (model == null ? "tiny random BERT" : Path.of(model).getFileName()) + ", "
                    + (full() ? "full fine-tuning" : "LoRA") + ")";
        }

        public boolean full() {
            return "full".equals(mode);
        }
    }

    /** A tiny random LLaMA made by the experiment when no base model is given. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TinyModel(Integer vocab, Integer hidden, Integer layers, Integer heads, Integer kvHeads, Long seed) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Synthetic(Integer patients, Double signal, Long seed) {}

    /**
     * One training stage: the sequence length its dataset is cut to, LoRA/optimiser overrides of the paper's settings,
     * the text normaliser ({@code default} or {@code none}), and for the Clinical LoRA how its corpus is laid out; for
     * the downstream runs the {@link DownstreamProtocol} choices by name ({@code selectBestEpoch} is the older
     * shorthand: true is best-validation-auroc, false last-epoch).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Stage(
            Integer seqLen,
            JobSpec.Lora lora,
            JobSpec.Optim optim,
            Boolean selectBestEpoch,
            String normalizer,
            Corpus corpus,
            String selection,
            String classWeighting,
            String multiclassAuroc,
            String multilabelScores) {
        public Stage(Integer seqLen, JobSpec.Lora lora, JobSpec.Optim optim, Boolean selectBestEpoch) {
            this(seqLen, lora, optim, selectBestEpoch, null, null, null, null, null, null);
        }

        /** The text normaliser the stage's datasets use. */
        public NoteNormalizer noteNormalizer() {
            return "none".equals(normalizer) ? NoteNormalizer.NONE : NoteNormalizer.DEFAULT;
        }
    }

    /**
     * The Clinical LoRA's corpus: {@code layout} {@code packed} (notes concatenated and cut into full rows) or
     * {@code note-per-row} (each note its own row, truncated and padded); {@code holdOut}, the share held out to
     * measure perplexity, by {@code patient} or at random by {@code note}; {@code text} {@code as-is} or
     * {@code paper-code} ({@link PaperCodeText}: de-identification brackets stripped, line breaks made spaces).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Corpus(String layout, Double holdOut, String holdOutBy, String text) {
        public static final List<String> LAYOUTS = List.of("packed", "note-per-row");
        public static final List<String> HOLD_OUT_BY = List.of("patient", "note");
        public static final List<String> TEXTS = List.of("as-is", "paper-code");

        public boolean notePerRow() {
            return "note-per-row".equals(layout);
        }

        public boolean paperCodeText() {
            return "paper-code".equals(text);
        }
    }

    /** Learning rates to choose among, per downstream run, on the validation split (the test split is scored once). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Search(List<Double> learningRate) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Bootstrap(Integer resamples, Long seed) {}

    /**
     * The four rows of the paper's comparison, per task; the fused two also as the paper's code ran them (PEFT 0.4: the
     * Downstream LoRA never applied, {@link Stacking#ACTIVE_ONLY}).
     */
    public enum Variant implements Arm {
        DOWNSTREAM("downstream", "Downstream LoRA on the bare base", false, false, Stacking.SUM),
        HEAD_ONLY("head_only", "frozen base, classification head only", false, false, Stacking.SUM),
        CLINICAL_FROZEN("clinical_frozen", "Clinical LoRA (frozen) + Downstream LoRA", true, false, Stacking.SUM),
        CLINICAL_TRAINABLE(
                "clinical_trainable", "Clinical LoRA (trainable) + Downstream LoRA", true, true, Stacking.SUM),
        CLINICAL_FROZEN_ACTIVE_ONLY(
                "clinical_frozen_active_only",
                "Clinical LoRA (frozen) + Downstream LoRA never applied (active adapter only)",
                true,
                false,
                Stacking.ACTIVE_ONLY),
        CLINICAL_TRAINABLE_ACTIVE_ONLY(
                "clinical_trainable_active_only",
                "Clinical LoRA (trainable) + Downstream LoRA never applied (active adapter only)",
                true,
                true,
                Stacking.ACTIVE_ONLY);
        public final String id, description;
        public final boolean needsClinical, clinicalTrainable;
        public final Stacking stacking;

        Variant(String id, String description, boolean needsClinical, boolean clinicalTrainable, Stacking stacking) {
            this.id = id;
            this.description = description;
            this.needsClinical = needsClinical;
            this.clinicalTrainable = clinicalTrainable;
            this.stacking = stacking;
        }

        /** The same fused variant stacked the other way (itself for the unfused ones). */
        Variant activeOnly() {
            return this == CLINICAL_FROZEN
                    ? CLINICAL_FROZEN_ACTIVE_ONLY
                    : this == CLINICAL_TRAINABLE ? CLINICAL_TRAINABLE_ACTIVE_ONLY : this;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public String description() {
            return description;
        }

        public static Variant of(String id) {
            for (Variant v : values()) if (v.id.equals(id)) return v;
            throw new IllegalArgumentException("unknown variant '" + id + "'; one of "
                    + List.of(values()).stream().map(v -> v.id).toList());
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** Reads, resolves paths against the file's folder and completes the config; a bad field names itself. */
    public static ExperimentConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such file");
        ExperimentConfig c;
        try {
            c = JSON.readValue(file.toFile(), ExperimentConfig.class);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(file + ": " + e.getOriginalMessage());
        }
        return c.resolved(file.toAbsolutePath().getParent()).withDefaults();
    }

    public boolean usesSyntheticCorpus() {
        return notes == null && taskFiles == null;
    }

    public List<Variant> variantList() {
        return variants.stream().map(Variant::of).toList();
    }

    /** Every row of the table in order: the variants run, then the baselines. */
    public List<Arm> arms() {
        List<Arm> out = new ArrayList<>(variantList());
        out.addAll(baselines);
        return out;
    }

    public boolean needsClinical() {
        return variantList().stream().anyMatch(v -> v.needsClinical);
    }

    /**
     * The trainer settings of a stage with one seed (and learning rate, when searching): the paper's defaults for its
     * kind, overridden field by field.
     */
    public Hyperparameters hyper(boolean domainAdaptation, boolean headOnly, long runSeed, Double learningRate) {
        return hyper(domainAdaptation, headOnly, runSeed, learningRate, PaperDefaults.TARGET_MODULES);
    }

    /**
     * The same on a base whose architecture's LoRA targets are {@code defaultTargets} (a BERT baseline: query+value,
     * whatever LLaMA projections the stage names).
     */
    public Hyperparameters hyper(
            boolean domainAdaptation,
            boolean headOnly,
            long runSeed,
            Double learningRate,
            List<String> defaultTargets) {
        return hyper(domainAdaptation, headOnly, runSeed, learningRate, defaultTargets, null);
    }

    /**
     * A baseline's settings: the downstream stage's, its own {@code optim} fields over them (full fine-tuning wants a
     * lower rate).
     */
    public Hyperparameters hyper(Baseline b, long runSeed, Double learningRate, List<String> defaultTargets) {
        return hyper(false, false, runSeed, learningRate, defaultTargets, b.optim());
    }

    private Hyperparameters hyper(
            boolean domainAdaptation,
            boolean headOnly,
            long runSeed,
            Double learningRate,
            List<String> defaultTargets,
            JobSpec.Optim override) {
        Stage s = domainAdaptation ? clinical : downstream;
        JobSpec.Optim o = merge(s.optim(), override);
        if (learningRate != null) {
            o = o == null
                    ? new JobSpec.Optim(learningRate, null, null, null, null, null, null, null)
                    : new JobSpec.Optim(
                            learningRate,
                            o.warmupRatio(),
                            o.batchSize(),
                            o.gradientAccumulation(),
                            o.epochs(),
                            o.maxSteps(),
                            o.weightDecay(),
                            o.maxGradNorm(),
                            o.warmupSteps());
        }
        JobSpec.Lora lora = s.lora();
        if (lora != null && !defaultTargets.equals(PaperDefaults.TARGET_MODULES)) {
            lora = new JobSpec.Lora(lora.r(), lora.alpha(), lora.dropout(), null);
        }
        // JobSpec owns the defaults and range checks of a training job; the ids only satisfy its required fields.
        return new JobSpec(
                        null,
                        (domainAdaptation ? TaskKind.CAUSAL_LM : TaskKind.SEQ_CLS).jobKind(),
                        "experiment",
                        new JobSpec.Datasets("experiment", null, null),
                        null,
                        null,
                        headOnly ? Boolean.TRUE : null,
                        "experiment",
                        null,
                        lora,
                        o,
                        runSeed,
                        device,
                        precision,
                        0,
                        null)
                .withDefaults()
                .hyper(defaultTargets);
    }

    /** {@code over}'s fields where set, else {@code base}'s. */
    private static JobSpec.Optim merge(JobSpec.Optim base, JobSpec.Optim over) {
        if (over == null) return base;
        if (base == null) return over;
        return new JobSpec.Optim(
                or(over.learningRate(), base.learningRate()),
                over.warmupSteps() != null ? over.warmupRatio() : or(over.warmupRatio(), base.warmupRatio()),
                or(over.batchSize(), base.batchSize()),
                or(over.gradientAccumulation(), base.gradientAccumulation()),
                or(over.epochs(), base.epochs()),
                or(over.maxSteps(), base.maxSteps()),
                or(over.weightDecay(), base.weightDecay()),
                or(over.maxGradNorm(), base.maxGradNorm()),
                over.warmupRatio() != null ? over.warmupSteps() : or(over.warmupSteps(), base.warmupSteps()));
    }

    /** The learning rates a downstream run chooses among: the search's, or just the stage's own (null). */
    public List<Double> learningRates() {
        return search == null ? Collections.singletonList(null) : search.learningRate();
    }

    /** The seed of the patient split of one-file tasks and of the Clinical LoRA: the first seed. */
    public long dataSeed() {
        return seeds.get(0);
    }

    /** The variant the others are compared with, or null when the config runs no fused variant. */
    public Variant reference() {
        return compareTo == null ? null : Variant.of(compareTo);
    }

    private ExperimentConfig resolved(Path dir) {
        UnaryOperator<String> abs =
                p -> p == null ? null : dir.resolve(p).normalize().toString();
        Builder b = new Builder(this);
        b.baseModel = abs.apply(baseModel);
        b.notes = notes == null ? null : notes.stream().map(abs).toList();
        if (taskFiles != null) {
            b.taskFiles = new LinkedHashMap<>();
            for (var e : taskFiles.entrySet())
                b.taskFiles.put(
                        e.getKey(), e.getValue() == null ? null : e.getValue().mapFiles(abs));
        }
        if (labelSets != null) {
            b.labelSets = new LinkedHashMap<>();
            labelSets.forEach((task, f) -> b.labelSets.put(task, abs.apply(f)));
        }
        if (baselines != null) {
            b.baselines = baselines.stream()
                    .map(x -> x == null ? null : new Baseline(x.name(), abs.apply(x.model()), x.mode(), x.optim()))
                    .toList();
        }
        return b.build();
    }

    /**
     * The downstream protocol of a variant's runs: the downstream stage's choices and the variant's stacking (a
     * baseline has no parent: {@code null} gives the summed stacking, which is then moot).
     */
    public DownstreamProtocol downstreamProtocol(Variant v) {
        Stage d = downstream;
        return new DownstreamProtocol(
                ClassWeighting.parse(d.classWeighting()),
                ModelSelection.parse(d.selection()),
                MulticlassAuroc.parse(d.multiclassAuroc()),
                ScoreFunction.parse(d.multilabelScores()),
                v == null ? Stacking.SUM : v.stacking);
    }

    /**
     * The completed config (what the run records beside its results): the protocol preset's settings under the file's,
     * then this project's defaults for anything still absent.
     */
    public ExperimentConfig withDefaults() {
        return Protocols.apply(this).completed();
    }

    private ExperimentConfig completed() {
        checkData();
        Builder b = new Builder(this);
        b.tasks = completedTasks();
        if (baseModel != null && !Files.isRegularFile(Path.of(baseModel, "config.json")))
            throw new IllegalArgumentException("baseModel: no config.json in " + baseModel);
        b.stacking = or(stacking, "sum");
        if (!List.of("sum", "active-only", "both").contains(b.stacking))
            throw new IllegalArgumentException("stacking must be sum, active-only or both, got '" + stacking + "'");
        b.variants = completedVariants(b.stacking);
        b.tinyModel = completedTinyModel();
        b.synthetic = completedSynthetic();
        b.validationFraction = or(validationFraction, 0.1);
        b.testFraction = or(testFraction, 0.2);
        b.clinical = StageDefaults.clinical(clinical, b.validationFraction + b.testFraction);
        b.downstream = StageDefaults.downstream(downstream);
        b.seed = null;
        b.seeds = completedSeeds();
        b.search = completedSearch(b.downstream);
        b.compareTo = completedCompareTo(b.variants);
        b.bootstrap = completedBootstrap();
        b.device = device == null ? "cpu" : device.toLowerCase(Locale.ROOT);
        if (!(b.validationFraction > 0 && b.testFraction > 0 && b.validationFraction + b.testFraction < 1))
            throw new IllegalArgumentException("validationFraction and testFraction must be > 0 with a sum below 1");
        b.baselines = completedBaselines(b.variants);
        b.name = name == null ? (usesSyntheticCorpus() ? "synthetic" : "experiment") : name;
        b.labelSets = completedLabelSets(b.tasks);
        b.expectedRows = completedExpectedRows(b.tasks);
        b.precision = Compute.Precision.parse(precision).id();
        ExperimentConfig out = b.build();
        long first = out.seeds().get(0);
        out.hyper(true, false, first, null); // the stages' range checks, now rather than after an hour of training
        out.downstreamProtocol(null);
        for (Double lr : out.learningRates()) out.hyper(false, false, first, lr);
        for (Baseline x : out.baselines()) out.hyper(x, first, null, List.of("query", "value"));
        return out;
    }

    /** Real data (notes and task files) or the synthetic corpus, and one base model. */
    private void checkData() {
        if ((notes == null) != (taskFiles == null)) {
            throw new IllegalArgumentException(
                    "give both notes (for the Clinical LoRA) and taskFiles (for the tasks), or neither for the synthetic corpus");
        }
        if (baseModel != null && tinyModel != null)
            throw new IllegalArgumentException("give baseModel or tinyModel, not both");
        if (!usesSyntheticCorpus() && synthetic != null)
            throw new IllegalArgumentException("synthetic settings apply only without notes and taskFiles");
        if (notes != null && notes.isEmpty())
            throw new IllegalArgumentException("notes: at least one MIMIC-IV-Note file");
    }

    /** The tasks run (default: every one with data), each with its files there. */
    private List<String> completedTasks() {
        List<String> available = taskFiles != null
                ? List.copyOf(taskFiles.keySet())
                : SyntheticCorpus.TASKS.stream().map(SyntheticCorpus.Task::name).toList();
        List<String> run = tasks == null ? available : List.copyOf(tasks);
        if (run.isEmpty()) throw new IllegalArgumentException("tasks: at least one task");
        for (String task : run) {
            if (!available.contains(task))
                throw new IllegalArgumentException("task '" + task + "' has no data; tasks with data: " + available);
            if (!task.matches("[a-z0-9][a-z0-9_-]{0,40}"))
                throw new IllegalArgumentException(
                        "task names are lowercase letters, digits, '-' and '_': '" + task + "'");
        }
        if (taskFiles != null) {
            for (String task : run) checkTaskFiles(task);
            for (String n : notes)
                if (!Files.isRegularFile(Path.of(n))) throw new IllegalArgumentException("notes: no such file " + n);
        }
        return run;
    }

    private void checkTaskFiles(String task) {
        TaskSource src = taskFiles.get(task);
        if (src == null)
            throw new IllegalArgumentException(
                    "taskFiles." + task + ": give a file or train, validation and test files");
        List<String> files = src.givenSplits() ? List.copyOf(src.splitFiles().values()) : List.of(src.file());
        for (String f : files)
            if (!Files.isRegularFile(Path.of(f)))
                throw new IllegalArgumentException("taskFiles." + task + ": no such file " + f);
    }

    /**
     * The variants run (default: the paper's four), each known and listed once; {@code stacking} then renames the fused
     * ones ({@code active-only}) or adds each one's active-only twin after it ({@code both}).
     */
    private List<String> completedVariants(String stackingMode) {
        List<String> given = variants == null
                ? List.of(Variant.DOWNSTREAM, Variant.HEAD_ONLY, Variant.CLINICAL_FROZEN, Variant.CLINICAL_TRAINABLE)
                        .stream()
                        .map(x -> x.id)
                        .toList()
                : List.copyOf(variants);
        if (given.isEmpty()) throw new IllegalArgumentException("variants: at least one variant");
        List<String> run = new ArrayList<>();
        for (String id : given) {
            Variant v = Variant.of(id);
            boolean sumOnly = v.stacking == Stacking.SUM && v.activeOnly() != v;
            if (!sumOnly || stackingMode.equals("sum")) run.add(id);
            else if (stackingMode.equals("active-only")) run.add(v.activeOnly().id);
            else {
                run.add(id);
                // a completed config read back lists the twin already
                if (!given.contains(v.activeOnly().id)) run.add(v.activeOnly().id);
            }
        }
        List<String> seen = new ArrayList<>();
        for (String id : run) {
            if (seen.contains(id)) throw new IllegalArgumentException("variant '" + id + "' is listed twice");
            seen.add(id);
        }
        return run;
    }

    /** Each task's label list file, which must exist; only tasks that are run. */
    private Map<String, String> completedLabelSets(List<String> run) {
        if (labelSets == null) return null;
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : labelSets.entrySet()) {
            if (!run.contains(e.getKey()))
                throw new IllegalArgumentException("labelSets." + e.getKey() + ": no such task among " + run);
            if (e.getValue() == null || !Files.isRegularFile(Path.of(e.getValue())))
                throw new IllegalArgumentException("labelSets." + e.getKey() + ": no such file " + e.getValue());
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    /** The rows each split should hold, per task: known tasks and splits, counts >= 0. */
    private Map<String, Map<String, Long>> completedExpectedRows(List<String> run) {
        if (expectedRows == null) return null;
        for (var e : expectedRows.entrySet()) {
            if (!run.contains(e.getKey()))
                throw new IllegalArgumentException("expectedRows." + e.getKey() + ": no such task among " + run);
            if (e.getValue() == null) throw new IllegalArgumentException("expectedRows." + e.getKey() + ": give rows");
            for (var split : e.getValue().entrySet()) {
                if (!List.of("train", "validation", "test").contains(split.getKey()))
                    throw new IllegalArgumentException("expectedRows." + e.getKey() + ": splits are train, validation"
                            + " and test, not '" + split.getKey() + "'");
                if (split.getValue() == null || split.getValue() < 0)
                    throw new IllegalArgumentException(
                            "expectedRows." + e.getKey() + "." + split.getKey() + " must be >= 0");
            }
        }
        return expectedRows;
    }

    /** The tiny LLaMA's shape with its defaults, or null when a base model is given. */
    private TinyModel completedTinyModel() {
        if (baseModel != null) return null;
        TinyModel tm = tinyModel == null ? new TinyModel(null, null, null, null, null, null) : tinyModel;
        return new TinyModel(
                or(tm.vocab(), 2000),
                or(tm.hidden(), 64),
                or(tm.layers(), 2),
                or(tm.heads(), 4),
                or(tm.kvHeads(), 2),
                or(tm.seed(), 8L));
    }

    /** The synthetic corpus's settings with their defaults, or null with real data. */
    private Synthetic completedSynthetic() {
        if (!usesSyntheticCorpus()) return null;
        Synthetic syn = synthetic == null ? new Synthetic(null, null, null) : synthetic;
        syn = new Synthetic(or(syn.patients(), 400), or(syn.signal(), 0.9), or(syn.seed(), 5L));
        new SyntheticCorpus.Settings(syn.patients(), syn.signal(), syn.seed()); // range checks
        return syn;
    }

    /** {@code seeds}, or {@code seed} as a list of one (default 1): 1 to 100 distinct seeds, none negative. */
    private List<Long> completedSeeds() {
        if (seed != null && seeds != null) throw new IllegalArgumentException("give seed or seeds, not both");
        List<Long> all = seeds != null ? List.copyOf(seeds) : List.of(or(seed, 1L));
        if (all.isEmpty() || all.size() > 100) throw new IllegalArgumentException("seeds: 1 to 100 seeds");
        if (all.stream().distinct().count() != all.size()) throw new IllegalArgumentException("seeds must be distinct");
        if (all.stream().anyMatch(x -> x < 0)) throw new IllegalArgumentException("seeds must be >= 0");
        return all;
    }

    /** The learning-rate search, checked; null without one. */
    private Search completedSearch(Stage downstreamStage) {
        if (search == null) return null;
        List<Double> lrs = search.learningRate();
        if (lrs == null || lrs.isEmpty() || lrs.size() > 20)
            throw new IllegalArgumentException("search.learningRate: 1 to 20 learning rates");
        if (lrs.stream().anyMatch(x -> x == null || !(x > 0) || x > 1))
            throw new IllegalArgumentException("search.learningRate: each in (0, 1]");
        if (lrs.stream().distinct().count() != lrs.size())
            throw new IllegalArgumentException("search.learningRate: each rate once");
        if (downstreamStage.optim() != null && downstreamStage.optim().learningRate() != null)
            throw new IllegalArgumentException("give downstream.optim.learningRate or search.learningRate, not both");
        return new Search(List.copyOf(lrs));
    }

    /**
     * The reference variant: the one given (among those run), else the trainable fused one, else the frozen one (the
     * summed stacking first).
     */
    private String completedCompareTo(List<String> run) {
        if (compareTo != null) {
            Variant.of(compareTo);
            if (!run.contains(compareTo))
                throw new IllegalArgumentException(
                        "compareTo: '" + compareTo + "' is not among the variants run " + run);
            return compareTo;
        }
        for (Variant v : List.of(
                Variant.CLINICAL_TRAINABLE,
                Variant.CLINICAL_TRAINABLE_ACTIVE_ONLY,
                Variant.CLINICAL_FROZEN,
                Variant.CLINICAL_FROZEN_ACTIVE_ONLY)) if (run.contains(v.id)) return v.id;
        return null;
    }

    private Bootstrap completedBootstrap() {
        Bootstrap given = bootstrap == null ? new Bootstrap(null, null) : bootstrap;
        Bootstrap completed = new Bootstrap(or(given.resamples(), 1000), or(given.seed(), 1L));
        if (completed.resamples() < 100 || completed.resamples() > 100_000)
            throw new IllegalArgumentException("bootstrap.resamples must be between 100 and 100000");
        return completed;
    }

    /** The baselines, each named apart from every other row, its mode (default lora) and model checked. */
    private List<Baseline> completedBaselines(List<String> variantIds) {
        List<Baseline> rows = new ArrayList<>();
        for (Baseline b : baselines == null ? List.<Baseline>of() : baselines) {
            if (b == null || b.name() == null)
                throw new IllegalArgumentException("baselines: every baseline needs a name");
            if (!b.name().matches("[a-z0-9][a-z0-9_-]{0,40}"))
                throw new IllegalArgumentException(
                        "baselines: names are lowercase letters, digits, '-' and '_': '" + b.name() + "'");
            if (variantIds.contains(b.name())
                    || rows.stream().anyMatch(x -> x.name().equals(b.name()))) {
                throw new IllegalArgumentException("baselines: '" + b.name() + "' names another row already");
            }
            String mode = b.mode() == null ? "lora" : b.mode().toLowerCase(Locale.ROOT);
            if (!Baseline.MODES.contains(mode))
                throw new IllegalArgumentException(
                        "baselines." + b.name() + ".mode must be full or lora, got '" + b.mode() + "'");
            if (b.model() != null && !Files.isRegularFile(Path.of(b.model(), "config.json"))) {
                throw new IllegalArgumentException("baselines." + b.name() + ".model: no config.json in " + b.model());
            }
            rows.add(new Baseline(b.name(), b.model(), mode, b.optim()));
        }
        return List.copyOf(rows);
    }

    /** A copy of a config whose fields are set by name; the one place that lists them in the record's order. */
    private static final class Builder {
        String name;
        String baseModel;
        TinyModel tinyModel;
        Synthetic synthetic;
        List<String> notes;
        Map<String, TaskSource> taskFiles;
        List<String> tasks;
        List<String> variants;
        Stage clinical;
        Stage downstream;
        String device;
        String precision;
        Long seed;
        List<Long> seeds;
        Search search;
        String compareTo;
        Bootstrap bootstrap;
        Double validationFraction;
        Double testFraction;
        List<Baseline> baselines;
        String protocol;
        String stacking;
        Map<String, String> labelSets;
        Map<String, Map<String, Long>> expectedRows;

        Builder(ExperimentConfig c) {
            name = c.name;
            baseModel = c.baseModel;
            tinyModel = c.tinyModel;
            synthetic = c.synthetic;
            notes = c.notes;
            taskFiles = c.taskFiles;
            tasks = c.tasks;
            variants = c.variants;
            clinical = c.clinical;
            downstream = c.downstream;
            device = c.device;
            precision = c.precision;
            seed = c.seed;
            seeds = c.seeds;
            search = c.search;
            compareTo = c.compareTo;
            bootstrap = c.bootstrap;
            validationFraction = c.validationFraction;
            testFraction = c.testFraction;
            baselines = c.baselines;
            protocol = c.protocol;
            stacking = c.stacking;
            labelSets = c.labelSets;
            expectedRows = c.expectedRows;
        }

        ExperimentConfig build() {
            return new ExperimentConfig(
                    name,
                    baseModel,
                    tinyModel,
                    synthetic,
                    notes,
                    taskFiles,
                    tasks,
                    variants,
                    clinical,
                    downstream,
                    device,
                    precision,
                    seed,
                    seeds,
                    search,
                    compareTo,
                    bootstrap,
                    validationFraction,
                    testFraction,
                    baselines,
                    protocol,
                    stacking,
                    labelSets,
                    expectedRows);
        }
    }

    static <T> T or(T v, T d) {
        return v == null ? d : v;
    }
}
