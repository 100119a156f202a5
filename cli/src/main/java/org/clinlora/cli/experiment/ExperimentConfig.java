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
 * @param taskFiles  task name → task CSV ({@code id,subject_id,text,label} or {@code ...,labels} with ';'-separated codes)
 * @param tasks      which tasks to run, in table order (default: every task file, or the five synthetic tasks)
 * @param variants   which of {@link Variant} to run (default: all four)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ExperimentConfig(String name, String baseModel, TinyModel tinyModel, Synthetic synthetic, List<String> notes,
                               Map<String, String> taskFiles, List<String> tasks, List<String> variants, Stage clinical,
                               Stage downstream, String device, String precision, Long seed, Double validationFraction,
                               Double testFraction) {

    /** A tiny random LLaMA made by the experiment when no base model is given. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TinyModel(Integer vocab, Integer hidden, Integer layers, Integer heads, Integer kvHeads, Long seed) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Synthetic(Integer patients, Double signal, Long seed) {}

    /** One training stage: the sequence length its dataset is cut to, and LoRA/optimiser overrides of the paper's settings. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Stage(Integer seqLen, JobSpec.Lora lora, JobSpec.Optim optim) {}

    /** The four rows of the paper's comparison, per task. */
    public enum Variant {
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

    public boolean needsClinical() {
        return variantList().stream().anyMatch(v -> v.needsClinical);
    }

    /** The trainer settings of a stage: the paper's defaults for its kind, overridden field by field. */
    public Hyperparameters hyper(boolean domainAdaptation, boolean headOnly) {
        Stage s = domainAdaptation ? clinical : downstream;
        // JobSpec owns the defaults and range checks of a training job; the ids only satisfy its required fields.
        return new JobSpec(null, (domainAdaptation ? TaskKind.CAUSAL_LM : TaskKind.SEQ_CLS).jobKind(), "experiment",
                new JobSpec.Datasets("experiment", null, null), null, null, headOnly ? Boolean.TRUE : null, "experiment", null,
                s.lora(), s.optim(), seed, device, precision, 0).withDefaults().hyper();
    }

    private ExperimentConfig resolved(Path dir) {
        java.util.function.UnaryOperator<String> abs = p -> p == null ? null : dir.resolve(p).normalize().toString();
        Map<String, String> files = null;
        if (taskFiles != null) {
            files = new LinkedHashMap<>();
            for (var e : taskFiles.entrySet()) files.put(e.getKey(), abs.apply(e.getValue()));
        }
        return new ExperimentConfig(name, abs.apply(baseModel), tinyModel, synthetic, notes == null ? null : notes.stream().map(abs).toList(),
                files, tasks, variants, clinical, downstream, device, precision, seed, validationFraction, testFraction);
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
            for (String task : t) if (!Files.isRegularFile(Path.of(taskFiles.get(task)))) throw new IllegalArgumentException("taskFiles." + task + ": no such file " + taskFiles.get(task));
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
        Stage c = stage(clinical, 512), d = stage(downstream, 128);
        String dev = device == null ? "cpu" : device.toLowerCase(Locale.ROOT);
        double val = or(validationFraction, 0.1), test = or(testFraction, 0.2);
        if (!(val > 0 && test > 0 && val + test < 1)) throw new IllegalArgumentException("validationFraction and testFraction must be > 0 with a sum below 1");
        ExperimentConfig out = new ExperimentConfig(name == null ? (usesSyntheticCorpus() ? "synthetic" : "experiment") : name, baseModel, tm, syn, notes,
                taskFiles, t, v, c, d, dev, org.clinlora.model.llama.Compute.Precision.parse(precision).id(), or(seed, 1L), val, test);
        out.hyper(true, false);  // the stages' range checks, now rather than after an hour of training
        out.hyper(false, false);
        return out;
    }

    private static Stage stage(Stage s, int seqLen) {
        Stage x = s == null ? new Stage(null, null, null) : s;
        int len = or(x.seqLen(), seqLen);
        if (len < 8 || len > 32768) throw new IllegalArgumentException("seqLen must be between 8 and 32768, got " + len);
        return new Stage(len, x.lora(), x.optim());
    }

    private static <T> T or(T v, T d) {
        return v == null ? d : v;
    }
}
