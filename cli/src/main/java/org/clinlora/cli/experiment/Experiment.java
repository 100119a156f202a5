package org.clinlora.cli.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.clinlora.cli.experiment.ExperimentConfig.Variant;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.DatasetSink;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.data.NoteFiles;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TokenDataset;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.Compute;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.NoteNormalizer;
import org.clinlora.model.train.Hyperparameters;
import org.clinlora.model.train.Trainer;

/**
 * The paper's comparison, in one process on one device: the Clinical LoRA trained once on the notes, then for every
 * task each variant — Downstream LoRA on the bare base, head only on the frozen base, and Downstream LoRA on top of
 * the Clinical LoRA kept frozen or trained along — with the same data, splits, seed and settings, so the rows differ
 * only in what is trained. Every run starts from the same base weights and the same saved Clinical LoRA.
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
        LlamaConfig.SpecialIds ids = LlamaConfig.read(model.resolve("config.json")).specialIds();
        ExperimentReport report = new ExperimentReport(config, out);
        try (LlamaModel base = LlamaModel.load(model, compute)) {
            Path clinical = null;
            if (config.needsClinical()) {
                TokenDataset notes = dataset("clinical-notes", TaskKind.CAUSAL_LM, config.clinical().seqLen(), model, ids, null,
                        b -> {
                            for (String f : data.notes) NoteFiles.readMimicNotes(Path.of(f), CsvReader.OnMalformed.FAIL, n -> add(b, n.noteId(), n.subjectId(), n.text(), null));
                        });
                log.printf("== Clinical LoRA on %d note windows (%d tokens each)%n", notes.rows("train"), notes.seqLen());
                Trainer.Result r = train(base, notes, TaskKind.CAUSAL_LM, config.hyper(true, false), List.of(), "clinical");
                clinical = out.resolve("adapters/clinical");
                PeftAdapterDir.deleteTree(clinical);
                PeftAdapterDir.save(r.adapter(), clinical, model.toString());
                base.removeAdapter("clinical");
                report.clinical(r);
                log.printf("   held-out perplexity %.1f -> %.1f, %.0f s, %d trainable parameters%n", r.before().get("perplexity"),
                        r.validation().get("perplexity"), r.seconds(), r.trainableParameters());
            }
            for (String task : config.tasks()) {
                TokenDataset ds = dataset(task, TaskKind.SEQ_CLS, config.downstream().seqLen(), model, ids, labels(data.tasks.get(task)),
                        b -> NoteFiles.readTaskFile(Path.of(data.tasks.get(task)), CsvReader.OnMalformed.FAIL, t -> add(b, t.id(), t.subjectId(), t.text(), t.labels())));
                for (Variant v : config.variantList()) {
                    log.printf("== %s: %s (%d train rows, %d labels)%n", task, v.description, ds.rows("train"), ds.labelNames().size());
                    List<String> parents = new ArrayList<>();
                    if (v.needsClinical) {
                        boolean trains = v == Variant.CLINICAL_TRAINABLE;
                        // A fresh copy of the saved Clinical LoRA every time: the trainable variant must not leak into the next run.
                        LoraAdapter c = PeftAdapterDir.load(base, "clinical", clinical);
                        c.setTrainable(trains);
                        parents.add(c.name());
                    }
                    try {
                        Trainer.Result r = train(base, ds, TaskKind.SEQ_CLS, config.hyper(false, v == Variant.HEAD_ONLY), parents, "downstream");
                        report.run(task, v, r);
                        log.printf("   test macro AUROC %.3f (validation %.3f), %.0f s, %d trainable parameters%n",
                                r.test().getOrDefault("macro_auroc", Double.NaN), r.validation().getOrDefault("macro_auroc", Double.NaN), r.seconds(), r.trainableParameters());
                    } finally {
                        base.removeAdapter("downstream");
                        base.removeAdapter("clinical");
                    }
                    report.write();
                }
            }
        }
        report.write();
        return report;
    }

    /**
     * A new folder, or one this same config ran in before (its model, corpus and datasets are reused; the runs are
     * repeated). Another config's folder is refused: its datasets would silently answer for this config.
     */
    private void prepareOutput() throws IOException {
        Path cfg = out.resolve("config.json");
        if (Files.exists(cfg)) {
            if (!config.equals(stored(cfg))) {
                throw new IllegalArgumentException(out + " holds an experiment with another config (" + cfg + "); give another --out");
            }
            return;
        }
        if (Files.isDirectory(out)) {
            try (var entries = Files.list(out)) {
                if (entries.findAny().isPresent()) throw new IllegalArgumentException(out + " is not empty and holds no experiment; give another --out");
            }
        }
        Files.createDirectories(out);
        JSON.writeValue(cfg.toFile(), config);
    }

    private static ExperimentConfig stored(Path cfg) {
        try {
            return JSON.readValue(cfg.toFile(), ExperimentConfig.class);
        } catch (IOException e) {
            return null;  // not an experiment's config: refused like another config
        }
    }

    private Trainer.Result train(LlamaModel base, TokenDataset ds, TaskKind kind, Hyperparameters hyper, List<String> parents, String name) {
        Trainer t = new Trainer(base, ds, kind, hyper, parents);
        long[] last = {0};
        return t.run(name, new Trainer.Listener() {
            @Override
            public void progress(Trainer.Progress p) {
                if (System.nanoTime() - last[0] < 10_000_000_000L && p.step() < p.totalSteps()) return;
                last[0] = System.nanoTime();
                log.printf("   step %d/%d loss %.3f %.0f tok/s%n", p.step(), p.totalSteps(), p.loss(), p.tokensPerSecond());
            }

            @Override
            public void checkpoint(int step, Map<String, ai.djl.ndarray.NDArray> tensors) {}

            @Override
            public boolean cancelled() {
                return false;
            }
        }, 0, null);
    }

    private record Data(List<String> notes, Map<String, String> tasks) {}

    private Path baseModel() throws IOException {
        if (config.baseModel() != null) return Path.of(config.baseModel());
        Path dir = out.resolve("model");
        ExperimentConfig.TinyModel t = config.tinyModel();
        if (!Files.exists(dir.resolve("config.json"))) {
            log.printf("== a tiny random LLaMA (hidden %d, %d layers, vocab %d) in %s%n", t.hidden(), t.layers(), t.vocab(), dir);
            TinyLlama.write(dir, new TinyLlama.Spec(t.vocab(), t.hidden(), t.layers(), t.heads(), t.kvHeads(),
                    TinyLlama.Spec.defaultIntermediate(t.hidden()), Math.max(512, config.clinical().seqLen()), false, t.seed()));
        }
        return dir;
    }

    private Data data() throws IOException {
        if (!config.usesSyntheticCorpus()) return new Data(config.notes(), config.taskFiles());
        Path dir = out.resolve("corpus");
        ExperimentConfig.Synthetic s = config.synthetic();
        if (!Files.exists(dir.resolve("SYNTHETIC.md"))) {
            log.printf("== a synthetic corpus (%d patients, signal %.2f) in %s — made up, never patient data%n", s.patients(), s.signal(), dir);
            new SyntheticCorpus(new SyntheticCorpus.Settings(s.patients(), s.signal(), s.seed())).write(dir);
        }
        Map<String, String> tasks = new java.util.LinkedHashMap<>();
        for (SyntheticCorpus.Task t : SyntheticCorpus.TASKS) tasks.put(t.name(), dir.resolve("synthetic_" + t.name() + ".csv").toString());
        return new Data(List.of(dir.resolve("synthetic_discharge.csv.gz").toString(), dir.resolve("synthetic_radiology.csv.gz").toString()), tasks);
    }

    /** The labels in a task file, in the order datasets use (class indices numerically, codes as strings). */
    private static DatasetBuilder.LabelSpace labels(String taskFile) throws IOException {
        Set<String> seen = new LinkedHashSet<>();
        boolean multilabel;
        try (CsvReader r = CsvReader.open(Path.of(taskFile), CsvReader.OnMalformed.FAIL)) {
            multilabel = NoteFiles.readTaskLabels(r, CsvReader.OnMalformed.FAIL, seen);
        }
        if (seen.isEmpty()) throw new IllegalArgumentException(taskFile + ": no labels");
        return new DatasetBuilder.LabelSpace(DatasetBuilder.LabelSpace.sorted(seen), multilabel);
    }

    private interface Rows {
        void addAll(DatasetBuilder b) throws IOException;
    }

    /** A dataset under datasets/{id}, built once (a later run of the same experiment folder reuses it). */
    private TokenDataset dataset(String id, TaskKind kind, int seqLen, Path model, LlamaConfig.SpecialIds ids,
                                 DatasetBuilder.LabelSpace labels, Rows rows) throws IOException {
        Path dir = out.resolve("datasets").resolve(id);
        if (!Files.exists(dir.resolve(DatasetBuilder.MANIFEST))) {
            PeftAdapterDir.deleteTree(dir);
            var settings = new DatasetBuilder.Settings(kind, seqLen, NoteEncoding.Truncation.HEAD, NoteNormalizer.DEFAULT,
                    config.validationFraction(), config.testFraction(), config.seed(), 4096, ids.bos(), ids.eos(), ids.pad());
            try (DatasetBuilder b = new DatasetBuilder(id, settings, labels, model.resolve("tokenizer.json"), DatasetSink.directory(dir))) {
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
