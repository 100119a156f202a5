package org.clinlora.cli.experiment;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.clinlora.cli.command.ProgressBar;
import org.clinlora.cli.experiment.ExperimentConfig.Variant;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.SpecialIds;
import org.clinlora.model.bert.TinyBert;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.DatasetSink;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.data.NoteFiles;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TaskRows;
import org.clinlora.model.data.TaskSource;
import org.clinlora.model.data.TokenDataset;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.metrics.Predictions;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.model.text.PaperCodeText;
import org.clinlora.model.train.Trainer;

/**
 * The paper's comparison, in one process on one device: the Clinical LoRA trained once on the notes, then for every
 * task each variant — Downstream LoRA on the bare base, head only on the frozen base, and Downstream LoRA on top of the
 * Clinical LoRA kept frozen or trained along — with the same data, splits, seed and settings, so the rows differ only
 * in what is trained. Every run starts from the same base weights and the same saved Clinical LoRA. Then the baselines:
 * BERT-family encoders fully fine-tuned or with LoRA on the same task rows and splits (each tokenized with the
 * encoder's own tokenizer), the same seeds and downstream settings.
 *
 * <p>Everything goes under the output folder: {@code config.json} (the completed config), {@code model/} and
 * {@code corpus/} when made up, {@code datasets/}, {@code adapters/}, and {@code results.md} / {@code results.csv},
 * rewritten after every run so an interrupted experiment keeps what it measured.
 */
public final class Experiment {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final ExperimentConfig config;
    private final Path out;
    private final PrintStream log;
    private final Set<String> warned = new HashSet<>();

    public Experiment(ExperimentConfig config, Path out, PrintStream log) {
        this.config = config;
        this.out = out;
        this.log = log;
    }

    public ExperimentReport run() throws IOException {
        Compute compute = Compute.parse(config.device(), config.precision());
        prepareOutput();
        Path model = baseModel();
        Data data = data();
        SpecialIds ids = specialIds(model);
        ExperimentReport report = new ExperimentReport(config, out);
        try (BaseModel base = BaseModel.load(model, compute)) {
            Path clinical = config.needsClinical() ? clinicalLora(base, model, ids, data, report) : null;
            for (String task : config.tasks()) {
                TaskSource src = data.tasks.get(task);
                TokenDataset ds = taskDataset(task, task, model, ids, src);
                recordData(report, task, ds);
                for (Variant v : config.variantList()) runSeeds(base, ds, task, v, clinical, report);
                for (ExperimentConfig.Baseline b : config.baselines()) runBaselineSeeds(compute, src, task, b, report);
                report.taskDone(task);
                report.write();
            }
        }
        report.write();
        return report;
    }

    /** The Clinical LoRA, trained once on the notes with the first seed and saved under adapters/clinical. */
    private Path clinicalLora(BaseModel base, Path model, SpecialIds ids, Data data, ExperimentReport report)
            throws IOException {
        ExperimentConfig.Stage stage = config.clinical();
        ExperimentConfig.Corpus corpus = stage.corpus();
        TokenDataset notes = dataset("clinical-notes", TaskKind.CAUSAL_LM, stage, model, ids, () -> null, b -> {
            b.notePerRow(corpus.notePerRow()).splitByRow(corpus.holdOutBy().equals("note"));
            for (String f : data.notes)
                NoteFiles.readMimicNotes(Path.of(f), CsvReader.OnMalformed.FAIL, n -> {
                    String text = corpus.paperCodeText() ? PaperCodeText.clean(n.text()) : n.text();
                    if (!text.isBlank()) add(b, n.noteId(), n.subjectId(), text, null);
                });
        });
        log.printf("== Clinical LoRA on %d note windows (%d tokens each)%n", notes.rows("train"), notes.seqLen());
        Trainer.Result r = train(
                new Trainer(
                        base, notes, TaskKind.CAUSAL_LM, config.hyper(true, false, config.dataSeed(), null), List.of()),
                "clinical");
        Path clinical = out.resolve("adapters/clinical");
        PeftAdapterDir.deleteTree(clinical);
        PeftAdapterDir.save(r.adapter(), clinical, model.toString());
        base.removeAdapter("clinical");
        report.clinical(r);
        log.printf(
                "   held-out perplexity %.1f -> %.1f, %.0f s, %d trainable parameters%n",
                r.before().get("perplexity"), r.validation().get("perplexity"), r.seconds(), r.trainableParameters());
        return clinical;
    }

    /**
     * A task's classification dataset for {@code model}'s tokenizer, its labels from the task's data or from the task's
     * label set file.
     */
    private TokenDataset taskDataset(String task, String id, Path model, SpecialIds ids, TaskSource src)
            throws IOException {
        String labelFile =
                config.labelSets() == null ? null : config.labelSets().get(task);
        return dataset(
                id,
                TaskKind.SEQ_CLS,
                config.downstream(),
                model,
                ids,
                () -> {
                    DatasetBuilder.LabelSpace fromData =
                            TaskRows.labels(src, TaskRows.files(), CsvReader.OnMalformed.FAIL);
                    return labelFile == null ? fromData : LabelSets.read(Path.of(labelFile), fromData.multilabel());
                },
                b -> {
                    b.givenLabelSet(labelFile != null);
                    TaskRows.addAll(src, TaskRows.files(), CsvReader.OnMalformed.FAIL, b);
                });
    }

    /** What the task's dataset holds, into the report, with a warning for what did not fit the splits. */
    private void recordData(ExperimentReport report, String task, TokenDataset ds) {
        ExperimentReport.TaskData td = ExperimentReport.TaskData.of(ds);
        report.task(task, td);
        if (td.idsInSeveralSplits() > 0)
            log.printf("   WARNING %s: %d rows have an id found in another split too%n", task, td.idsInSeveralSplits());
        for (var e : td.unseenLabels().entrySet()) {
            log.printf(
                    "   %s: %d %s rows have labels the training split never has (%d labels); they are reported, not scored for those labels%n",
                    task, e.getValue().rows(), e.getKey(), e.getValue().labels().size());
        }
    }

    /** A variant's runs on a task, one per seed, each recorded and written as it ends. */
    private void runSeeds(
            BaseModel base, TokenDataset ds, String task, Variant v, Path clinical, ExperimentReport report)
            throws IOException {
        for (long seed : config.seeds()) {
            log.printf(
                    "== %s: %s, seed %d (%d train rows, %d labels)%n",
                    task, v.description, seed, ds.rows("train"), ds.labelNames().size());
            ExperimentReport.Run run = runCell(base, ds, task, v, seed, clinical);
            report.run(run);
            log.printf(
                    "   test macro AUROC %.3f (validation %.3f%s), %.0f s, %d trainable parameters%n",
                    run.result().test().getOrDefault("macro_auroc", Double.NaN),
                    run.result().validation().getOrDefault("macro_auroc", Double.NaN),
                    run.learningRate() == null
                            ? ""
                            : String.format(Locale.ROOT, ", learning rate %g", run.learningRate()),
                    run.result().seconds(),
                    run.result().trainableParameters());
            report.write();
        }
    }

    /** A baseline's runs on a task (its own tokenizer's dataset of the same rows), one per seed. */
    private void runBaselineSeeds(
            Compute compute, TaskSource src, String task, ExperimentConfig.Baseline b, ExperimentReport report)
            throws IOException {
        Path bert = baselineModel(b);
        TokenDataset bds = taskDataset(task, task + "." + b.name(), bert, specialIds(bert), src);
        for (long seed : config.seeds()) {
            log.printf("== %s: %s, seed %d (%d train rows)%n", task, b.description(), seed, bds.rows("train"));
            ExperimentReport.Run run = runBaseline(bert, compute, bds, task, b, seed);
            report.run(run);
            log.printf(
                    "   test macro AUROC %.3f (validation %.3f), %.0f s, %d trainable parameters%n",
                    run.result().test().getOrDefault("macro_auroc", Double.NaN),
                    run.result().validation().getOrDefault("macro_auroc", Double.NaN),
                    run.result().seconds(),
                    run.result().trainableParameters());
            report.write();
        }
    }

    /**
     * One baseline run with one seed: a freshly loaded encoder per learning rate tried (full fine-tuning changes its
     * weights), fully fine-tuned or with a LoRA on its own architecture's targets, the downstream stage's settings
     * otherwise; the one with the best validation macro AUROC is scored once on the test split.
     */
    private ExperimentReport.Run runBaseline(
            Path model, Compute compute, TokenDataset ds, String task, ExperimentConfig.Baseline b, long seed)
            throws IOException {
        Trainer.EvalSet validation = new Trainer.EvalSet(ds, List.of("validation")),
                none = new Trainer.EvalSet(ds, List.of());
        List<ExperimentReport.Tried> tried = new ArrayList<>();
        BaseModel bestModel = null;
        Trainer bestTrainer = null;
        Trainer.Result bestResult = null;
        Double bestRate = null;
        try {
            for (Double rate : config.learningRates()) {
                BaseModel m = BaseModel.load(model, compute);
                Trainer.Result r;
                Trainer t;
                try {
                    t = new Trainer(
                                    m,
                                    ds,
                                    validation,
                                    none,
                                    TaskKind.SEQ_CLS,
                                    config.hyper(b, seed, rate, m.config().defaultLoraTargets()),
                                    List.of())
                            .protocol(config.downstreamProtocol(null))
                            .fullFineTuning(b.full());
                    r = train(t, b.name());
                } catch (RuntimeException e) {
                    m.close();
                    throw e;
                }
                double score = r.validation().getOrDefault("macro_auroc", Double.NaN);
                tried.add(new ExperimentReport.Tried(rate, score));
                if (config.learningRates().size() > 1)
                    log.printf("   learning rate %g: validation macro AUROC %.3f%n", rate, score);
                if (bestResult == null || score > bestResult.validation().getOrDefault("macro_auroc", Double.NaN)) {
                    if (bestModel != null) bestModel.close();
                    bestModel = m;
                    bestTrainer = t;
                    bestResult = r;
                    bestRate = rate;
                } else {
                    m.close();
                }
            }
            Predictions test = bestTrainer.predict(
                    new Trainer.EvalSet(ds, List.of("test")), b.full() ? List.of() : List.of(b.name()));
            return new ExperimentReport.Run(
                    task, b, seed, bestRate, List.copyOf(tried), bestResult.withTest(test, bestTrainer.metrics(test)));
        } finally {
            if (bestModel != null) bestModel.close();
        }
    }

    /** The baseline's encoder folder, or a tiny random BERT made once under {@code bert-model/}. */
    private Path baselineModel(ExperimentConfig.Baseline b) throws IOException {
        if (b.model() != null) return Path.of(b.model());
        Path dir = out.resolve("bert-model");
        if (!Files.exists(dir.resolve("config.json"))) {
            long seed = config.tinyModel() == null ? 8 : config.tinyModel().seed();
            log.printf("== a tiny random BERT (hidden 64, 2 layers, vocab 2000) in %s%n", dir);
            TinyBert.write(
                    dir,
                    new TinyBert.Spec(
                            2000,
                            64,
                            2,
                            4,
                            256,
                            Math.max(512, config.downstream().seqLen()),
                            seed));
        }
        return dir;
    }

    /** The ids rows are made with, from the model's config and its own tokenizer. */
    private static SpecialIds specialIds(Path model) throws IOException {
        try (ClinicalTokenizer t = ClinicalTokenizer.load(model)) {
            return BaseModelConfig.read(model.resolve("config.json")).specialIds(t);
        }
    }

    /**
     * One cell's run with one seed: each learning rate of the search (or the stage's one) trained, the one with the
     * best validation macro AUROC kept — its adapters stay on the model until the test split is scored, once, on it.
     */
    private ExperimentReport.Run runCell(
            BaseModel base, TokenDataset ds, String task, Variant v, long seed, Path clinical) throws IOException {
        Trainer.EvalSet validation = new Trainer.EvalSet(ds, List.of("validation")),
                none = new Trainer.EvalSet(ds, List.of());
        Candidate best = null;
        List<ExperimentReport.Tried> tried = new ArrayList<>();
        List<Double> rates = config.learningRates();
        for (int k = 0; k < rates.size(); k++) {
            List<String> parents = new ArrayList<>();
            if (v.needsClinical) {
                // A fresh copy of the saved Clinical LoRA every time: the trainable variant must not leak into the next
                // run.
                LoraAdapter c = PeftAdapterDir.load(base, "clinical-" + k, clinical);
                c.setTrainable(v.clinicalTrainable);
                parents.add(c.name());
            }
            Trainer t = new Trainer(
                            base,
                            ds,
                            validation,
                            none,
                            TaskKind.SEQ_CLS,
                            config.hyper(false, v == Variant.HEAD_ONLY, seed, rates.get(k)),
                            parents)
                    .protocol(config.downstreamProtocol(v));
            Candidate c;
            try {
                c = new Candidate(rates.get(k), t, train(t, "downstream-" + k), parents, "downstream-" + k);
            } catch (RuntimeException e) {
                parents.forEach(base::removeAdapter);
                base.removeAdapter("downstream-" + k);
                throw e;
            }
            double score = c.result.validation().getOrDefault("macro_auroc", Double.NaN);
            tried.add(new ExperimentReport.Tried(rates.get(k), score));
            if (rates.size() > 1) log.printf("   learning rate %g: validation macro AUROC %.3f%n", rates.get(k), score);
            if (best == null || score > best.score()) {
                if (best != null) best.remove(base);
                best = c;
            } else {
                c.remove(base);
            }
        }
        try {
            Predictions test = best.trainer.predict(new Trainer.EvalSet(ds, List.of("test")), best.active());
            return new ExperimentReport.Run(
                    task,
                    v,
                    seed,
                    best.learningRate,
                    List.copyOf(tried),
                    best.result.withTest(test, best.trainer.metrics(test)));
        } finally {
            best.remove(base);
        }
    }

    /** One learning rate's trained run, its adapters still on the model. */
    private record Candidate(
            Double learningRate, Trainer trainer, Trainer.Result result, List<String> parents, String adapter) {
        double score() {
            return result.validation().getOrDefault("macro_auroc", Double.NaN);
        }

        List<String> active() {
            List<String> a = new ArrayList<>(parents);
            a.add(adapter);
            return a;
        }

        void remove(BaseModel base) {
            base.removeAdapter(adapter);
            parents.forEach(base::removeAdapter);
        }
    }

    /**
     * A new folder, or one this same config ran in before (its model, corpus and datasets are reused; the runs are
     * repeated). Another config's folder is refused: its datasets would silently answer for this config.
     */
    private void prepareOutput() throws IOException {
        Path cfg = out.resolve("config.json");
        if (Files.exists(cfg)) {
            if (!config.equals(stored(cfg))) {
                throw new IllegalArgumentException(
                        out + " holds an experiment with another config (" + cfg + "); give another --out");
            }
            return;
        }
        if (Files.isDirectory(out)) {
            try (var entries = Files.list(out)) {
                if (entries.findAny().isPresent())
                    throw new IllegalArgumentException(
                            out + " is not empty and holds no experiment; give another --out");
            }
        }
        Files.createDirectories(out);
        JSON.writeValue(cfg.toFile(), config);
    }

    private static ExperimentConfig stored(Path cfg) {
        try {
            return JSON.readValue(cfg.toFile(), ExperimentConfig.class);
        } catch (IOException e) {
            return null; // not an experiment's config: refused like another config
        }
    }

    /**
     * Trains with a progress bar; what the schedule warrants a warning about goes to stderr, each warning once (the
     * runs of a task share one schedule), and with the run's result into results.md.
     */
    private Trainer.Result train(Trainer t, String name) {
        for (String notice : t.scheduleNotices()) {
            if (warned.add(notice)) System.err.printf("WARNING %s: %s%n", name, notice);
        }
        ProgressBar bar = new ProgressBar("   " + name, log);
        Trainer.Result r = t.run(
                name,
                new Trainer.Listener() {
                    @Override
                    public void progress(Trainer.Progress p) {
                        bar.update(
                                p.step(),
                                p.totalSteps(),
                                p.etaSeconds(),
                                String.format(Locale.ROOT, "loss %.3f  %.0f tok/s", p.loss(), p.tokensPerSecond()));
                    }

                    @Override
                    public void checkpoint(int step, Map<String, NDArray> tensors) {}

                    @Override
                    public boolean cancelled() {
                        return false;
                    }
                },
                0,
                null);
        bar.done(null);
        return r;
    }

    private record Data(List<String> notes, Map<String, TaskSource> tasks) {}

    private Path baseModel() throws IOException {
        if (config.baseModel() != null) return Path.of(config.baseModel());
        Path dir = out.resolve("model");
        ExperimentConfig.TinyModel t = config.tinyModel();
        if (!Files.exists(dir.resolve("config.json"))) {
            log.printf(
                    "== a tiny random LLaMA (hidden %d, %d layers, vocab %d) in %s%n",
                    t.hidden(), t.layers(), t.vocab(), dir);
            TinyLlama.write(
                    dir,
                    new TinyLlama.Spec(
                            t.vocab(),
                            t.hidden(),
                            t.layers(),
                            t.heads(),
                            t.kvHeads(),
                            TinyLlama.Spec.defaultIntermediate(t.hidden()),
                            Math.max(512, config.clinical().seqLen()),
                            false,
                            t.seed()));
        }
        return dir;
    }

    private Data data() throws IOException {
        if (!config.usesSyntheticCorpus()) return new Data(config.notes(), config.taskFiles());
        Path dir = out.resolve("corpus");
        ExperimentConfig.Synthetic s = config.synthetic();
        if (!Files.exists(dir.resolve("SYNTHETIC.md"))) {
            log.printf(
                    "== a synthetic corpus (%d patients, signal %.2f) in %s — made up, never patient data%n",
                    s.patients(), s.signal(), dir);
            new SyntheticCorpus(new SyntheticCorpus.Settings(s.patients(), s.signal(), s.seed())).write(dir);
        }
        Map<String, TaskSource> tasks = new LinkedHashMap<>();
        for (SyntheticCorpus.Task t : SyntheticCorpus.TASKS)
            tasks.put(
                    t.name(),
                    TaskSource.of(dir.resolve("synthetic_" + t.name() + ".csv").toString()));
        return new Data(
                List.of(
                        dir.resolve("synthetic_discharge.csv.gz").toString(),
                        dir.resolve("synthetic_radiology.csv.gz").toString()),
                tasks);
    }

    private interface Rows {
        void addAll(DatasetBuilder b) throws IOException;
    }

    /** A dataset's label space, read only when the dataset is built (a reused dataset has its own). */
    private interface Labels {
        DatasetBuilder.LabelSpace read() throws IOException;
    }

    /** A dataset under datasets/{id}, built once (a later run of the same experiment folder reuses it). */
    private TokenDataset dataset(
            String id,
            TaskKind kind,
            ExperimentConfig.Stage stage,
            Path model,
            SpecialIds ids,
            Labels labels,
            Rows rows)
            throws IOException {
        boolean clinical = kind == TaskKind.CAUSAL_LM;
        Path dir = out.resolve("datasets").resolve(id);
        if (!Files.exists(dir.resolve(DatasetBuilder.MANIFEST))) {
            PeftAdapterDir.deleteTree(dir);
            var settings = new DatasetBuilder.Settings(
                    kind,
                    stage.seqLen(),
                    NoteEncoding.Truncation.HEAD,
                    stage.noteNormalizer(),
                    clinical ? stage.corpus().holdOut() : config.validationFraction(),
                    clinical ? 0 : config.testFraction(),
                    config.dataSeed(),
                    4096,
                    ids);
            try (DatasetBuilder b = new DatasetBuilder(
                    id, settings, labels.read(), model.resolve("tokenizer.json"), DatasetSink.directory(dir))) {
                rows.addAll(b);
                b.commit();
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        return TokenDataset.openLocal(dir, out.resolve(".cache"));
    }

    private static void add(DatasetBuilder b, String id, String subject, String text, List<String> labels) {
        try {
            b.add(id, subject, text, labels);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
