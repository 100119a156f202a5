package org.clinlora.cli.experiment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.clinlora.cli.experiment.ExperimentConfig.Variant;
import org.clinlora.model.train.Trainer;

/**
 * The experiment's table: macro AUROC on the test split (labels with one class only in the test split skipped, as
 * in the paper) per task and variant with the average over tasks, and the training cost of every run. Written as
 * {@code results.md} (the paper-style task × variant table, then the cost table) and {@code results.csv} (one row
 * per run, the Clinical LoRA's own run first).
 */
public final class ExperimentReport {
    public static final List<String> CSV_COLUMNS = List.of("task", "variant", "test_macro_auroc", "validation_macro_auroc",
            "test_micro_auroc", "test_macro_auprc", "labels_scored", "train_seconds", "train_tokens", "optimizer_steps",
            "trainable_parameters", "perplexity_before", "perplexity_after");

    /** One training run and what it measured. */
    public record Row(String task, String variant, Trainer.Result result) {
        double metric(String name) {
            return result.test().getOrDefault(name, Double.NaN);
        }
    }

    private final ExperimentConfig config;
    private final Path out;
    private Row clinical;
    private final Map<String, Map<Variant, Row>> runs = new LinkedHashMap<>();

    ExperimentReport(ExperimentConfig config, Path out) {
        this.config = config;
        this.out = out;
    }

    void clinical(Trainer.Result r) {
        clinical = new Row("clinical_notes", "clinical_lora", r);
    }

    void run(String task, Variant v, Trainer.Result r) {
        runs.computeIfAbsent(task, k -> new LinkedHashMap<>()).put(v, new Row(task, v.id, r));
    }

    /** Test macro AUROC of a run, NaN when it has not run. */
    public double auroc(String task, Variant v) {
        Row r = runs.getOrDefault(task, Map.of()).get(v);
        return r == null ? Double.NaN : r.metric("macro_auroc");
    }

    /** The average over the tasks that ran with this variant. */
    public double averageAuroc(Variant v) {
        return runs.values().stream().filter(m -> m.containsKey(v)).mapToDouble(m -> m.get(v).metric("macro_auroc")).average().orElse(Double.NaN);
    }

    public Row row(String task, Variant v) {
        return runs.getOrDefault(task, Map.of()).get(v);
    }

    public Row clinicalRow() {
        return clinical;
    }

    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Experiment '").append(config.name()).append("'\n\n");
        sb.append(config.usesSyntheticCorpus() ? "Data: the synthetic corpus (made up by clinlora, never patient data; " + config.synthetic().patients()
                + " patients, signal " + config.synthetic().signal() + ").\n" : "Data: " + config.notes().size() + " note file(s) and " + config.taskFiles().size() + " task file(s) given in the config.\n");
        sb.append("Base: ").append(config.baseModel() != null ? config.baseModel() : "a tiny random LLaMA (hidden " + config.tinyModel().hidden() + ", "
                + config.tinyModel().layers() + " layers)").append("; device ").append(config.device()).append(", ").append(config.precision()).append(".\n\n");
        sb.append("Test macro AUROC (labels with one class only in the test split skipped):\n\n");
        List<Variant> variants = config.variantList();
        sb.append("| variant |");
        for (String t : runs.keySet()) sb.append(' ').append(t.toUpperCase(Locale.ROOT)).append(" |");
        sb.append(" average |\n|---|");
        sb.append("---|".repeat(runs.size() + 1)).append('\n');
        for (Variant v : variants) {
            sb.append("| ").append(v.description).append(" |");
            for (String t : runs.keySet()) sb.append(' ').append(fmt(auroc(t, v))).append(" |");
            sb.append(' ').append(fmt(averageAuroc(v))).append(" |\n");
        }
        sb.append("\nTraining cost (the Clinical LoRA is trained once and shared by both clinical variants):\n\n");
        sb.append("| task | variant | train s | tokens | optimizer steps | trainable parameters | test macro AUROC | validation macro AUROC |\n");
        sb.append("|---|---|---|---|---|---|---|---|\n");
        if (clinical != null) {
            Trainer.Result r = clinical.result();
            sb.append(String.format(Locale.ROOT, "| clinical notes | Clinical LoRA (causal LM; held-out perplexity %.1f -> %.1f) | %.0f | %d | %d | %d | | |%n",
                    r.before().getOrDefault("perplexity", Double.NaN), r.validation().getOrDefault("perplexity", Double.NaN), r.seconds(), r.tokens(), r.steps(), r.trainableParameters()));
        }
        for (var task : runs.entrySet()) {
            for (Row row : task.getValue().values()) {
                Trainer.Result r = row.result();
                sb.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %d | %d | %d | %s | %s |%n", task.getKey().toUpperCase(Locale.ROOT),
                        Variant.of(row.variant()).description, r.seconds(), r.tokens(), r.steps(), r.trainableParameters(),
                        fmt(row.metric("macro_auroc")), fmt(r.validation().getOrDefault("macro_auroc", Double.NaN))));
            }
        }
        return sb.toString();
    }

    public String csv() {
        StringBuilder sb = new StringBuilder(String.join(",", CSV_COLUMNS)).append('\n');
        if (clinical != null) csvRow(sb, clinical);
        for (Map<Variant, Row> m : runs.values()) for (Row r : m.values()) csvRow(sb, r);
        return sb.toString();
    }

    private static void csvRow(StringBuilder sb, Row row) {
        Trainer.Result r = row.result();
        sb.append(String.join(",", row.task(), row.variant(), num(r.test().get("macro_auroc")), num(r.validation().get("macro_auroc")),
                num(r.test().get("micro_auroc")), num(r.test().get("macro_auprc")), num(r.test().get("labels_scored")),
                String.format(Locale.ROOT, "%.1f", r.seconds()), Long.toString(r.tokens()), Integer.toString(r.steps()),
                Long.toString(r.trainableParameters()), num(r.before().get("perplexity")), num(r.validation().get("perplexity")))).append('\n');
    }

    /** Both files, each replaced whole (a reader never sees half a table). */
    void write() throws IOException {
        replace(out.resolve("results.md"), markdown());
        replace(out.resolve("results.csv"), csv());
    }

    private static void replace(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String num(Double v) {
        return v == null || v.isNaN() ? "" : String.format(Locale.ROOT, "%.4f", v);
    }
}
