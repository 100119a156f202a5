package org.clinlora.cli.experiment;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TaskSource;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.train.Hyperparameters;
import org.clinlora.platform.jobs.JobSpec;

/**
 * The paper's comparison as a JSON file ({@code ./clinlora experiment --config FILE}). Every field is optional:
 * absent data means the synthetic corpus, an absent base model a tiny random LLaMA, absent LoRA and optimiser fields
 * the paper's settings for the stage (Clinical LoRA r=16 α=32 lr 3e-4; Downstream LoRA r=8 α=4 dropout 0.1 lr 5e-5).
 * Relative paths are resolved against the config file's folder. Unknown fields are an error, so a typo is not a
 * silently different experiment.
 *
 * @param baseModel  a Hugging Face LLaMA folder (config.json, model.safetensors, tokenizer.json); absent: {@link #tinyModel}
 * @param notes      MIMIC-IV-Note CSV files (discharge, radiology; gzip or plain) for the Clinical LoRA
 * @param taskFiles  task name → its data ({@link TaskSource}): a CSV split by patient ({@code id,subject_id,text,label}
 *                   or {@code ...,labels} with ';'-separated codes), or the recipe's own train/validation/test files
 *                   with {@code "format": "core"} or {@code "beep"}
 * @param tasks      which tasks to run, in table order (default: every task file, or the five synthetic tasks)
 * @param variants   which of {@link Variant} to run (default: all four)
 * @param seeds      every run is repeated with each seed (adapter init, data order, dropout); the first one also
 *                   seeds the patient split of one-file tasks. {@code seed} is the one-seed shorthand
 * @param search     learning rates tried for every downstream run, the one with the best validation macro AUROC kept
 * @param compareTo  the variant every other is compared with by paired bootstrap (default: the trainable fused one,
 *                   else the frozen fused one)
 * @param bootstrap  resamples and seed of the paired bootstrap (1000, 1)
 * @param baselines  the paper's comparison models: BERT-family encoders (a Hugging Face folder each; absent {@code model}:
 *                   a tiny random BERT), fully fine-tuned ({@code mode: full}) or with LoRA ({@code mode: lora}),
 *                   each a row of the same table with the same data, splits, seeds and downstream settings
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ExperimentConfig(String name, String baseModel, TinyModel tinyModel, Synthetic synthetic, List<String> notes,
                               Map<String, TaskSource> taskFiles, List<String> tasks, List<String> variants, Stage clinical,
                               Stage downstream, String device, String precision, Long seed, List<Long> seeds, Search search,
                               String compareTo, Bootstrap bootstrap, Double validationFraction, Double testFraction,
                               List<Baseline> baselines) {

    /** A row of the results table: one of the four LLaMA variants or a baseline. */
    public interface Arm {
        String id();

        String description();
    }

    /**
     * A comparison model: {@code name} (its row id), {@code model} (a BERT folder: config.json with model_type bert,
     * safetensors, tokenizer.json) and {@code mode} ({@code full}: every parameter trained, the paper's fine-tuned
     * baselines; {@code lora}: the downstream stage's LoRA on query+value with the classifier saved); {@code optim}: fields
     * that replace the downstream stage's for this baseline (a search's learning rates still replace the rate).
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
            return name + " (" + (model == null ? "tiny random BERT" : Path.of(model).getFileName()) + ", " + (full() ? "full fine-tuning" : "LoRA") + ")";
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
     * and (downstream, default true) whether each run keeps its best epoch by validation macro AUROC.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Stage(Integer seqLen, JobSpec.Lora lora, JobSpec.Optim optim, Boolean selectBestEpoch) {}

    /** Learning rates to choose among, per downstream run, on the validation split (the test split is scored once). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Search(List<Double> learningRate) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Bootstrap(Integer resamples, Long seed) {}

    /** The four rows of the paper's comparison, per task. */
    public enum Variant implements Arm {
        DOWNSTREAM("downstream", "Downstream LoRA on the bare base", false),
        HEAD_ONLY("head_only", "frozen base, classification head only", false),
        CLINICAL_FROZEN("clinical_frozen", "Clinical LoRA (frozen) + Downstream LoRA", true),
        CLINICAL_TRAINABLE("clinical_trainable", "Clinical LoRA (trainable) + Downstream LoRA", true);

        public final String id, description;
        public final boolean needsClinical;

        Variant(String id, String description, boolean needsClinical) {
            this.id = id;
            this.description = description;
            this.needsClinical = needsClinical;
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
            throw new IllegalArgumentException("unknown variant '" + id + "'; one of " + List.of(values()).stream().map(v -> v.id).toList());
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** Reads, resolves paths against the file's folder and completes the config; a bad field names itself. */
    public static ExperimentConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such file");
        ExperimentConfig c;
        try {
            c = JSON.readValue(file.toFile(), ExperimentConfig.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
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

    /** The trainer settings of a stage with one seed (and learning rate, when searching): the paper's defaults for its kind, overridden field by field. */
    public Hyperparameters hyper(boolean domainAdaptation, boolean headOnly, long runSeed, Double learningRate) {
        return hyper(domainAdaptation, headOnly, runSeed, learningRate, org.clinlora.model.train.PaperDefaults.TARGET_MODULES);
    }

    /**
     * The same on a base whose architecture's LoRA targets are {@code defaultTargets} (a BERT baseline: query+value,
     * whatever LLaMA projections the stage names).
     */
    public Hyperparameters hyper(boolean domainAdaptation, boolean headOnly, long runSeed, Double learningRate, List<String> defaultTargets) {
        return hyper(domainAdaptation, headOnly, runSeed, learningRate, defaultTargets, null);
    }

    /** A baseline's settings: the downstream stage's, its own {@code optim} fields over them (full fine-tuning wants a lower rate). */
    public Hyperparameters hyper(Baseline b, long runSeed, Double learningRate, List<String> defaultTargets) {
        return hyper(false, false, runSeed, learningRate, defaultTargets, b.optim());
    }

    private Hyperparameters hyper(boolean domainAdaptation, boolean headOnly, long runSeed, Double learningRate, List<String> defaultTargets,
                                  JobSpec.Optim override) {
        Stage s = domainAdaptation ? clinical : downstream;
        JobSpec.Optim o = merge(s.optim(), override);
        if (learningRate != null) {
            o = o == null ? new JobSpec.Optim(learningRate, null, null, null, null, null, null, null)
                    : new JobSpec.Optim(learningRate, o.warmupRatio(), o.batchSize(), o.gradientAccumulation(), o.epochs(), o.maxSteps(), o.weightDecay(), o.maxGradNorm());
        }
        JobSpec.Lora lora = s.lora();
        if (lora != null && !defaultTargets.equals(org.clinlora.model.train.PaperDefaults.TARGET_MODULES)) {
            lora = new JobSpec.Lora(lora.r(), lora.alpha(), lora.dropout(), null);
        }
        // JobSpec owns the defaults and range checks of a training job; the ids only satisfy its required fields.
        return new JobSpec(null, (domainAdaptation ? TaskKind.CAUSAL_LM : TaskKind.SEQ_CLS).jobKind(), "experiment",
                new JobSpec.Datasets("experiment", null, null), null, null, headOnly ? Boolean.TRUE : null, "experiment", null,
                lora, o, runSeed, device, precision, 0, null).withDefaults().hyper(defaultTargets);
    }

    /** {@code over}'s fields where set, else {@code base}'s. */
    private static JobSpec.Optim merge(JobSpec.Optim base, JobSpec.Optim over) {
        if (over == null) return base;
        if (base == null) return over;
        return new JobSpec.Optim(or(over.learningRate(), base.learningRate()), or(over.warmupRatio(), base.warmupRatio()), or(over.batchSize(), base.batchSize()),
                or(over.gradientAccumulation(), base.gradientAccumulation()), or(over.epochs(), base.epochs()), or(over.maxSteps(), base.maxSteps()),
                or(over.weightDecay(), base.weightDecay()), or(over.maxGradNorm(), base.maxGradNorm()));
    }

    /** The learning rates a downstream run chooses among: the search's, or just the stage's own (null). */
    public List<Double> learningRates() {
        return search == null ? java.util.Collections.singletonList(null) : search.learningRate();
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
        java.util.function.UnaryOperator<String> abs = p -> p == null ? null : dir.resolve(p).normalize().toString();
        Map<String, TaskSource> files = null;
        if (taskFiles != null) {
            files = new LinkedHashMap<>();
            for (var e : taskFiles.entrySet()) files.put(e.getKey(), e.getValue() == null ? null : e.getValue().mapFiles(abs));
        }
        return new ExperimentConfig(name, abs.apply(baseModel), tinyModel, synthetic, notes == null ? null : notes.stream().map(abs).toList(),
                files, tasks, variants, clinical, downstream, device, precision, seed, seeds, search, compareTo, bootstrap, validationFraction, testFraction,
                baselines == null ? null : baselines.stream().map(b -> b == null ? null : new Baseline(b.name(), abs.apply(b.model()), b.mode(), b.optim())).toList());
    }

    /** The completed config (what the run records beside its results). */
    public ExperimentConfig withDefaults() {
        if ((notes == null) != (taskFiles == null)) {
            throw new IllegalArgumentException("give both notes (for the Clinical LoRA) and taskFiles (for the tasks), or neither for the synthetic corpus");
        }
        if (baseModel != null && tinyModel != null) throw new IllegalArgumentException("give baseModel or tinyModel, not both");
        if (!usesSyntheticCorpus() && synthetic != null) throw new IllegalArgumentException("synthetic settings apply only without notes and taskFiles");
        if (notes != null && notes.isEmpty()) throw new IllegalArgumentException("notes: at least one MIMIC-IV-Note file");
        List<String> available = taskFiles != null ? List.copyOf(taskFiles.keySet()) : SyntheticCorpus.TASKS.stream().map(SyntheticCorpus.Task::name).toList();
        List<String> t = tasks == null ? available : List.copyOf(tasks);
        if (t.isEmpty()) throw new IllegalArgumentException("tasks: at least one task");
        for (String task : t) {
            if (!available.contains(task)) throw new IllegalArgumentException("task '" + task + "' has no data; tasks with data: " + available);
            if (!task.matches("[a-z0-9][a-z0-9_-]{0,40}")) throw new IllegalArgumentException("task names are lowercase letters, digits, '-' and '_': '" + task + "'");
        }
        if (taskFiles != null) {
            for (String task : t) {
                TaskSource src = taskFiles.get(task);
                if (src == null) throw new IllegalArgumentException("taskFiles." + task + ": give a file or train, validation and test files");
                List<String> files = src.givenSplits() ? List.copyOf(src.splitFiles().values()) : List.of(src.file());
                for (String f : files) if (!Files.isRegularFile(Path.of(f))) throw new IllegalArgumentException("taskFiles." + task + ": no such file " + f);
            }
            for (String n : notes) if (!Files.isRegularFile(Path.of(n))) throw new IllegalArgumentException("notes: no such file " + n);
        }
        if (baseModel != null && !Files.isRegularFile(Path.of(baseModel, "config.json"))) throw new IllegalArgumentException("baseModel: no config.json in " + baseModel);
        List<String> v = variants == null ? List.of(Variant.values()).stream().map(x -> x.id).toList() : List.copyOf(variants);
        if (v.isEmpty()) throw new IllegalArgumentException("variants: at least one variant");
        List<String> seen = new ArrayList<>();
        for (String id : v) {
            Variant.of(id);
            if (seen.contains(id)) throw new IllegalArgumentException("variant '" + id + "' is listed twice");
            seen.add(id);
        }
        TinyModel tm = baseModel != null ? null : tinyModel == null ? new TinyModel(null, null, null, null, null, null) : tinyModel;
        if (tm != null) tm = new TinyModel(or(tm.vocab(), 2000), or(tm.hidden(), 64), or(tm.layers(), 2), or(tm.heads(), 4), or(tm.kvHeads(), 2), or(tm.seed(), 8L));
        Synthetic syn = !usesSyntheticCorpus() ? null : synthetic == null ? new Synthetic(null, null, null) : synthetic;
        if (syn != null) {
            syn = new Synthetic(or(syn.patients(), 400), or(syn.signal(), 0.9), or(syn.seed(), 5L));
            new SyntheticCorpus.Settings(syn.patients(), syn.signal(), syn.seed());  // range checks
        }
        Stage c = stage(clinical, 512, false), d = stage(downstream, 128, true);
        if (seed != null && seeds != null) throw new IllegalArgumentException("give seed or seeds, not both");
        List<Long> sd = seeds != null ? List.copyOf(seeds) : List.of(or(seed, 1L));
        if (sd.isEmpty() || sd.size() > 100) throw new IllegalArgumentException("seeds: 1 to 100 seeds");
        if (sd.stream().distinct().count() != sd.size()) throw new IllegalArgumentException("seeds must be distinct");
        if (sd.stream().anyMatch(x -> x < 0)) throw new IllegalArgumentException("seeds must be >= 0");
        Search sr = null;
        if (search != null) {
            List<Double> lrs = search.learningRate();
            if (lrs == null || lrs.isEmpty() || lrs.size() > 20) throw new IllegalArgumentException("search.learningRate: 1 to 20 learning rates");
            if (lrs.stream().anyMatch(x -> x == null || !(x > 0) || x > 1)) throw new IllegalArgumentException("search.learningRate: each in (0, 1]");
            if (lrs.stream().distinct().count() != lrs.size()) throw new IllegalArgumentException("search.learningRate: each rate once");
            if (d.optim() != null && d.optim().learningRate() != null) throw new IllegalArgumentException("give downstream.optim.learningRate or search.learningRate, not both");
            sr = new Search(List.copyOf(lrs));
        }
        String ref = compareTo;
        if (ref != null) {
            Variant.of(ref);
            if (!v.contains(ref)) throw new IllegalArgumentException("compareTo: '" + ref + "' is not among the variants run " + v);
        } else {
            ref = v.contains(Variant.CLINICAL_TRAINABLE.id) ? Variant.CLINICAL_TRAINABLE.id : v.contains(Variant.CLINICAL_FROZEN.id) ? Variant.CLINICAL_FROZEN.id : null;
        }
        Bootstrap bs = bootstrap == null ? new Bootstrap(null, null) : bootstrap;
        bs = new Bootstrap(or(bs.resamples(), 1000), or(bs.seed(), 1L));
        if (bs.resamples() < 100 || bs.resamples() > 100_000) throw new IllegalArgumentException("bootstrap.resamples must be between 100 and 100000");
        String dev = device == null ? "cpu" : device.toLowerCase(Locale.ROOT);
        double val = or(validationFraction, 0.1), test = or(testFraction, 0.2);
        if (!(val > 0 && test > 0 && val + test < 1)) throw new IllegalArgumentException("validationFraction and testFraction must be > 0 with a sum below 1");
        List<Baseline> bl = new ArrayList<>();
        for (Baseline b : baselines == null ? List.<Baseline>of() : baselines) {
            if (b == null || b.name() == null) throw new IllegalArgumentException("baselines: every baseline needs a name");
            if (!b.name().matches("[a-z0-9][a-z0-9_-]{0,40}")) throw new IllegalArgumentException("baselines: names are lowercase letters, digits, '-' and '_': '" + b.name() + "'");
            if (seen.contains(b.name()) || bl.stream().anyMatch(x -> x.name().equals(b.name()))) {
                throw new IllegalArgumentException("baselines: '" + b.name() + "' names another row already");
            }
            String mode = b.mode() == null ? "lora" : b.mode().toLowerCase(Locale.ROOT);
            if (!Baseline.MODES.contains(mode)) throw new IllegalArgumentException("baselines." + b.name() + ".mode must be full or lora, got '" + b.mode() + "'");
            if (b.model() != null && !Files.isRegularFile(Path.of(b.model(), "config.json"))) {
                throw new IllegalArgumentException("baselines." + b.name() + ".model: no config.json in " + b.model());
            }
            bl.add(new Baseline(b.name(), b.model(), mode, b.optim()));
        }
        ExperimentConfig out = new ExperimentConfig(name == null ? (usesSyntheticCorpus() ? "synthetic" : "experiment") : name, baseModel, tm, syn, notes,
                taskFiles, t, v, c, d, dev, org.clinlora.model.llama.Compute.Precision.parse(precision).id(), null, sd, sr, ref, bs, val, test, List.copyOf(bl));
        out.hyper(true, false, sd.get(0), null);  // the stages' range checks, now rather than after an hour of training
        for (Double lr : out.learningRates()) out.hyper(false, false, sd.get(0), lr);
        for (Baseline b : out.baselines()) out.hyper(b, sd.get(0), null, List.of("query", "value"));
        return out;
    }

    private static Stage stage(Stage s, int seqLen, boolean downstream) {
        Stage x = s == null ? new Stage(null, null, null, null) : s;
        int len = or(x.seqLen(), seqLen);
        if (len < 8 || len > 32768) throw new IllegalArgumentException("seqLen must be between 8 and 32768, got " + len);
        if (!downstream && Boolean.TRUE.equals(x.selectBestEpoch())) throw new IllegalArgumentException("clinical.selectBestEpoch: best-epoch selection is for the downstream runs");
        return new Stage(len, x.lora(), x.optim(), downstream ? or(x.selectBestEpoch(), true) : null);
    }

    private static <T> T or(T v, T d) {
        return v == null ? d : v;
    }
}
