package org.clinlora.cli.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.clinlora.cli.experiment.ExperimentConfig.Arm;
import org.clinlora.cli.experiment.ExperimentConfig.Variant;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.TokenDataset;
import org.clinlora.model.metrics.MulticlassAuroc;
import org.clinlora.model.metrics.PairedBootstrap;
import org.clinlora.model.metrics.Predictions;
import org.clinlora.model.train.Trainer;

/**
 * The experiment's results: macro AUROC on the test split (labels with one class only in the test split skipped, as in
 * the paper) per task and variant — mean ± standard deviation over the seeds — with the average over tasks; for each
 * task, the paired bootstrap interval of every variant's difference from the reference (fused) variant; what the data
 * held; and every run's cost. Written as {@code results.md} (tables) and {@code results.csv} (one row per run, the
 * Clinical LoRA's own first), both replaced whole after every run; each run's {@code predictions.csv} and
 * {@code roc.csv} under {@code runs/}, and the figures under {@code figures/} ({@link Figures}).
 */
public final class ExperimentReport {
    public static final List<String> CSV_COLUMNS = List.of(
            "task",
            "variant",
            "seed",
            "learning_rate",
            "selected_epoch",
            "test_macro_auroc",
            "validation_macro_auroc",
            "test_micro_auroc",
            "test_macro_auprc",
            "labels_scored",
            "test_rows",
            "train_seconds",
            "train_tokens",
            "optimizer_steps",
            "trainable_parameters",
            "perplexity_before",
            "perplexity_after");

    /** A learning rate tried by the search and its validation macro AUROC. */
    public record Tried(Double learningRate, double validationMacroAuroc) {}

    /** One run: a task, a variant and a seed, the learning rate kept (null: the stage's own) and what it measured. */
    public record Run(
            String task, Arm variant, long seed, Double learningRate, List<Tried> tried, Trainer.Result result) {
        public double testAuroc() {
            return result.test().getOrDefault("macro_auroc", Double.NaN);
        }
    }

    /** Labels of validation/test rows that the training split never has: how many rows, and rows per label. */
    public record Unseen(long rows, Map<String, Long> labels) {}

    /** What a task's dataset holds: rows per split, how it was split, its labels, and what did not fit. */
    public record TaskData(
            Map<String, Long> rows,
            String splitBy,
            int labels,
            Map<String, Unseen> unseenLabels,
            long idsInSeveralSplits) {
        static TaskData of(TokenDataset ds) {
            Map<String, Long> rows = new LinkedHashMap<>();
            for (String s : DatasetBuilder.SPLITS) rows.put(s, ds.rows(s));
            JsonNode m = ds.manifest();
            Map<String, Unseen> unseen = new LinkedHashMap<>();
            m.path("unseenLabels").fields().forEachRemaining(e -> {
                Map<String, Long> labels = new LinkedHashMap<>();
                e.getValue()
                        .path("labels")
                        .fields()
                        .forEachRemaining(
                                l -> labels.put(l.getKey(), l.getValue().asLong()));
                unseen.put(e.getKey(), new Unseen(e.getValue().path("rows").asLong(), labels));
            });
            String by = m.path("split").path("by").asText("subject_id");
            String format = m.path("taskSource").path("format").asText("");
            return new TaskData(
                    rows,
                    by.equals("given") ? "given" + (format.isEmpty() ? "" : " (" + format + ")") : "by patient",
                    ds.labelNames().size(),
                    unseen,
                    m.path("idsInSeveralSplits").path("rows").asLong(0));
        }
    }

    private final ExperimentConfig config;
    private final Path out;
    private Trainer.Result clinical;
    private final Map<String, TaskData> data = new LinkedHashMap<>();
    private final List<Run> runs = new ArrayList<>();
    /** task → variant → the interval of (variant − reference). */
    private final Map<String, Map<Arm, PairedBootstrap.Interval>> intervals = new LinkedHashMap<>();

    ExperimentReport(ExperimentConfig config, Path out) {
        this.config = config;
        this.out = out;
    }

    void clinical(Trainer.Result r) {
        clinical = r;
    }

    void task(String task, TaskData d) {
        data.put(task, d);
    }

    /** Records a run and writes its predictions and ROC points. */
    void run(Run r) throws IOException {
        runs.removeIf(x -> x.task().equals(r.task()) && x.variant().equals(r.variant()) && x.seed() == r.seed());
        runs.add(r);
        RunFiles.write(runDir(r), r.result().testPredictions());
    }

    Path runDir(Run r) {
        return out.resolve("runs").resolve(r.task()).resolve(r.variant().id()).resolve("seed-" + r.seed());
    }

    /** After a task's last run: its bootstrap intervals and ROC figure; then its predictions leave memory. */
    void taskDone(String task) throws IOException {
        Variant ref = config.reference();
        Map<Arm, List<Predictions>> byVariant = new LinkedHashMap<>();
        for (Arm v : config.arms())
            byVariant.put(
                    v,
                    runsOf(task, v).stream()
                            .map(r -> r.result().testPredictions())
                            .toList());
        if (ref != null) {
            Map<Arm, PairedBootstrap.Interval> m = new LinkedHashMap<>();
            for (Arm v : config.arms()) {
                if (v.equals(ref) || byVariant.get(v).isEmpty()) continue;
                m.put(
                        v,
                        PairedBootstrap.difference(
                                byVariant.get(v),
                                byVariant.get(ref),
                                config.bootstrap().resamples(),
                                config.bootstrap().seed(),
                                MulticlassAuroc.parse(config.downstream().multiclassAuroc())));
            }
            intervals.put(task, m);
        }
        Figures.roc(out.resolve("figures"), task, byVariant);
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            if (!r.task().equals(task)) continue;
            runs.set(
                    i,
                    new Run(
                            r.task(),
                            r.variant(),
                            r.seed(),
                            r.learningRate(),
                            r.tried(),
                            r.result().figuresOnly()));
        }
    }

    /** The runs of a cell, in seed order. */
    public List<Run> runsOf(String task, Arm v) {
        List<Run> out = new ArrayList<>();
        for (long seed : config.seeds())
            runs.stream()
                    .filter(r -> r.task().equals(task) && r.variant().equals(v) && r.seed() == seed)
                    .forEach(out::add);
        return out;
    }

    public List<Run> runs() {
        return List.copyOf(runs);
    }

    public Trainer.Result clinicalResult() {
        return clinical;
    }

    public TaskData taskData(String task) {
        return data.get(task);
    }

    public PairedBootstrap.Interval interval(String task, Arm v) {
        return intervals.getOrDefault(task, Map.of()).get(v);
    }

    /** Mean test macro AUROC of a cell over its seeds; NaN before it ran. */
    public double auroc(String task, Arm v) {
        return mean(runsOf(task, v).stream().mapToDouble(Run::testAuroc).toArray());
    }

    /** Sample standard deviation over the seeds (NaN with one seed). */
    public double aurocSd(String task, Arm v) {
        return sd(runsOf(task, v).stream().mapToDouble(Run::testAuroc).toArray());
    }

    /** Per seed, the mean over the tasks that ran with this variant. */
    double[] averagesBySeed(Arm v) {
        List<Double> out = new ArrayList<>();
        for (long seed : config.seeds()) {
            double[] xs = data.keySet().stream()
                    .flatMap(t -> runsOf(t, v).stream())
                    .filter(r -> r.seed() == seed)
                    .mapToDouble(Run::testAuroc)
                    .toArray();
            if (xs.length > 0) out.add(mean(xs));
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    public double averageAuroc(Arm v) {
        return mean(averagesBySeed(v));
    }

    public String markdown() {
        StringBuilder sb = new StringBuilder();
        header(sb);
        ProtocolSection.write(sb, config);
        aurocTable(sb);
        if (!intervals.isEmpty()) intervalTable(sb);
        dataTable(sb);
        ProtocolSection.notices(sb, config, clinical, runs, data);
        costTable(sb);
        sb.append(
                "\nPer run: `runs/{task}/{variant}/seed-{seed}/predictions.csv` (id, true labels, a probability per label) and `roc.csv` "
                        + "(ROC points per label). Figures: `figures/roc-{task}.svg` (macro-averaged ROC per variant, its points in `figures/roc-{task}.csv`) "
                        + "and `figures/auroc.svg`.\n");
        return sb.toString();
    }

    /** What was compared on what: the data, the base model and device, the baselines, the seeds and the search. */
    private void header(StringBuilder sb) {
        sb.append("# Experiment '").append(config.name()).append("'\n\n");
        sb.append(
                config.usesSyntheticCorpus()
                        ? "Data: the synthetic corpus (made up by clinlora, never patient data; "
                                + config.synthetic().patients() + " patients, signal "
                                + config.synthetic().signal() + ").\n"
                        : "Data: " + config.notes().size() + " note file(s) and the task files given in the config.\n");
        sb.append("Base: ")
                .append(
                        config.baseModel() != null
                                ? config.baseModel()
                                : "a tiny random LLaMA (hidden "
                                        + config.tinyModel().hidden() + ", "
                                        + config.tinyModel().layers() + " layers)")
                .append("; device ")
                .append(config.device())
                .append(", ")
                .append(config.precision())
                .append(".\n");
        if (!config.baselines().isEmpty()) {
            sb.append(
                            "Baselines (BERT-family encoders on the same rows, splits and seeds, each tokenized with its own tokenizer): ")
                    .append(String.join(
                            "; ",
                            config.baselines().stream()
                                    .map(b -> b.description() + (b.model() == null ? "" : " from " + b.model()))
                                    .toList()))
                    .append(".\n");
        }
        sb.append("Seeds: ")
                .append(config.seeds())
                .append(
                        config.search() != null
                                ? "; learning rate chosen per run on validation among "
                                        + config.search().learningRate()
                                : "")
                .append(".\n\n");
    }

    /** The results table: test macro AUROC per variant and task, and the average over tasks. */
    private void aurocTable(StringBuilder sb) {
        List<String> tasks = List.copyOf(data.keySet());
        sb.append("Test macro AUROC (labels with one class only in the test split skipped")
                .append(config.downstream().multiclassAuroc().equals("ovo") ? "; multi-class tasks one-vs-one" : "")
                .append(
                        config.downstream().multilabelScores().equals("softmax")
                                ? "; multi-label scores a softmax over the labels"
                                : "")
                .append(")")
                .append(
                        config.seeds().size() > 1
                                ? ", mean ± sd over " + config.seeds().size() + " seeds"
                                : "")
                .append(":\n\n");
        sb.append("| variant |");
        for (String t : tasks) sb.append(' ').append(t.toUpperCase(Locale.ROOT)).append(" |");
        sb.append(" average |\n|---|").append("---|".repeat(tasks.size() + 1)).append('\n');
        for (Arm v : config.arms()) {
            sb.append("| ").append(v.description()).append(" |");
            for (String t : tasks)
                sb.append(' ')
                        .append(meanSd(runsOf(t, v).stream()
                                .mapToDouble(Run::testAuroc)
                                .toArray()))
                        .append(" |");
            sb.append(' ').append(meanSd(averagesBySeed(v))).append(" |\n");
        }
    }

    /** Each variant's difference from the reference variant, with its paired bootstrap interval. */
    private void intervalTable(StringBuilder sb) {
        Variant ref = config.reference();
        sb.append("\nDifference from ")
                .append(ref.description())
                .append(" on the same test rows: paired bootstrap, ")
                .append(config.bootstrap().resamples())
                .append(" resamples, seed ")
                .append(config.bootstrap().seed())
                .append(config.seeds().size() > 1 ? "; per resample the mean over seeds of each seed's difference" : "")
                .append(". `*`: the 95 % interval excludes 0.\n\n");
        sb.append("| task | variant | Δ macro AUROC | 95 % CI | resamples with Δ ≤ 0 |\n|---|---|---|---|---|\n");
        for (var e : intervals.entrySet()) {
            for (var v : e.getValue().entrySet()) {
                PairedBootstrap.Interval i = v.getValue();
                sb.append(String.format(
                        Locale.ROOT,
                        "| %s | %s | %+.4f | [%+.4f, %+.4f]%s | %.1f %% |%n",
                        e.getKey().toUpperCase(Locale.ROOT),
                        v.getKey().description(),
                        i.observed(),
                        i.low(),
                        i.high(),
                        i.excludesZero() ? " *" : "",
                        100 * i.shareAtOrBelowZero()));
            }
        }
    }

    /** What each task's data held: rows per split, how it was split, labels, and what did not fit. */
    private void dataTable(StringBuilder sb) {
        sb.append("\nData (rows per split; label names from the training split):\n\n");
        sb.append(
                "| task | split | train | validation | test | labels | labels only in validation/test | rows with an id in two splits |\n|---|---|---|---|---|---|---|---|\n");
        for (var e : data.entrySet()) {
            TaskData d = e.getValue();
            String unseen = unseen(d);
            sb.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %d | %d | %d | %d | %s | %d |%n",
                    e.getKey().toUpperCase(Locale.ROOT),
                    d.splitBy(),
                    d.rows().get("train"),
                    d.rows().get("validation"),
                    d.rows().get("test"),
                    d.labels(),
                    unseen.isEmpty() ? "none" : unseen,
                    d.idsInSeveralSplits()));
        }
    }

    /** Per split, the labels the training split never has: how many, in how many rows, the first five. */
    private static String unseen(TaskData d) {
        StringBuilder unseen = new StringBuilder();
        for (var u : d.unseenLabels().entrySet()) {
            if (unseen.length() > 0) unseen.append("; ");
            unseen.append(u.getKey())
                    .append(": ")
                    .append(u.getValue().labels().size())
                    .append(" label(s) in ")
                    .append(u.getValue().rows())
                    .append(" row(s) ")
                    .append(u.getValue().labels().keySet().stream().limit(5).toList());
        }
        return unseen.toString();
    }

    /** Every run's cost, the Clinical LoRA's first. */
    private void costTable(StringBuilder sb) {
        sb.append(
                "\nTraining cost (the Clinical LoRA is trained once, with the first seed, and shared by both clinical variants):\n\n");
        sb.append(
                "| task | variant | seed | learning rate | kept epoch | train s | tokens | optimizer steps | trainable parameters | test macro AUROC | validation macro AUROC |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        if (clinical != null) {
            sb.append(String.format(
                    Locale.ROOT,
                    "| clinical notes | Clinical LoRA (causal LM; held-out perplexity %.1f -> %.1f) | %d | | | %.0f | %d | %d | %d | | |%n",
                    clinical.before().getOrDefault("perplexity", Double.NaN),
                    clinical.validation().getOrDefault("perplexity", Double.NaN),
                    config.dataSeed(),
                    clinical.seconds(),
                    clinical.tokens(),
                    clinical.steps(),
                    clinical.trainableParameters()));
        }
        for (Run r : runs) sb.append(costRow(r));
    }

    private static String costRow(Run r) {
        Trainer.Result x = r.result();
        return String.format(
                Locale.ROOT,
                "| %s | %s | %d | %s | %s | %.0f | %d | %d | %d | %s | %s |%n",
                r.task().toUpperCase(Locale.ROOT),
                r.variant().description(),
                r.seed(),
                r.learningRate() == null ? "" : r.learningRate().toString(),
                x.selected() == null
                        ? ""
                        : String.format(
                                Locale.ROOT,
                                "%.2f of %.2f",
                                x.selected().epoch(),
                                x.epochs().get(x.epochs().size() - 1).epoch()),
                x.seconds(),
                x.tokens(),
                x.steps(),
                x.trainableParameters(),
                fmt(r.testAuroc()),
                fmt(x.validation().getOrDefault("macro_auroc", Double.NaN)));
    }

    public String csv() {
        StringBuilder sb = new StringBuilder(String.join(",", CSV_COLUMNS)).append('\n');
        if (clinical != null) csvRow(sb, "clinical_notes", "clinical_lora", config.dataSeed(), null, clinical);
        for (Run r : runs) csvRow(sb, r.task(), r.variant().id(), r.seed(), r.learningRate(), r.result());
        return sb.toString();
    }

    private static void csvRow(StringBuilder sb, String task, String variant, long seed, Double lr, Trainer.Result r) {
        sb.append(String.join(
                        ",",
                        task,
                        variant,
                        Long.toString(seed),
                        lr == null ? "" : Double.toString(lr),
                        r.selected() == null
                                ? ""
                                : String.format(
                                        Locale.ROOT, "%.3f", r.selected().epoch()),
                        num(r.test().get("macro_auroc")),
                        num(r.validation().get("macro_auroc")),
                        num(r.test().get("micro_auroc")),
                        num(r.test().get("macro_auprc")),
                        num(r.test().get("labels_scored")),
                        num(r.test().get("rows")),
                        String.format(Locale.ROOT, "%.1f", r.seconds()),
                        Long.toString(r.tokens()),
                        Integer.toString(r.steps()),
                        Long.toString(r.trainableParameters()),
                        num(r.before().get("perplexity")),
                        num(r.validation().get("perplexity"))))
                .append('\n');
    }

    /** Both tables and the bar chart, each replaced whole (a reader never sees half a table). */
    void write() throws IOException {
        replace(out.resolve("results.md"), markdown());
        replace(out.resolve("results.csv"), csv());
        List<String> tasks = List.copyOf(data.keySet());
        Map<Arm, double[][]> bars = new LinkedHashMap<>();
        for (Arm v : config.arms()) {
            double[][] ms = new double[tasks.size() + 1][];
            for (int i = 0; i < tasks.size(); i++)
                ms[i] = new double[] {auroc(tasks.get(i), v), aurocSd(tasks.get(i), v)};
            ms[tasks.size()] = new double[] {averageAuroc(v), sd(averagesBySeed(v))};
            bars.put(v, ms);
        }
        List<String> groups = new ArrayList<>(
                tasks.stream().map(t -> t.toUpperCase(Locale.ROOT)).toList());
        groups.add("average");
        Figures.bars(out.resolve("figures"), groups, bars, config.seeds().size());
    }

    static void replace(Path file, String text) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static double mean(double[] xs) {
        if (xs.length == 0) return Double.NaN;
        double s = 0;
        for (double x : xs) s += x;
        return s / xs.length;
    }

    static double sd(double[] xs) {
        if (xs.length < 2) return Double.NaN;
        double m = mean(xs), s = 0;
        for (double x : xs) s += (x - m) * (x - m);
        return Math.sqrt(s / (xs.length - 1));
    }

    private static String meanSd(double[] xs) {
        if (xs.length == 0) return "–";
        return xs.length == 1 ? fmt(xs[0]) : fmt(mean(xs)) + " ± " + fmt(sd(xs));
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String num(Double v) {
        return v == null || v.isNaN() ? "" : String.format(Locale.ROOT, "%.4f", v);
    }
}
