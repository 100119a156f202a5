package org.clinlora.trainer.jobs;

import ai.djl.ndarray.NDArray;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.data.TokenDataset;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.Compute;
import org.clinlora.model.metrics.EvaluationCurves;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.task.ProblemType;
import org.clinlora.model.train.Trainer;
import org.clinlora.platform.jobs.JobSpec;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.registry.Lineage;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.platform.store.StoredDatasets;
import org.jboss.logging.Logger;

/**
 * Runs one job: the verified base model and parent chain, the datasets, {@link Trainer} with checkpoints to the store,
 * then publication through registry-svc. Publication is idempotent by job id (a job resumed after publishing does not
 * publish twice), and a job that fails after publishing a fine-tuned parent withdraws it, so a failed job leaves no
 * published version.
 */
@ApplicationScoped
public class JobRunner {
    private static final Logger LOG = Logger.getLogger(JobRunner.class);

    /** What the worker needs from a run: progress, checkpoints, cancellation. */
    public interface Hooks {
        void progress(Trainer.Progress p);

        void checkpointed(int step);

        boolean cancelled();
    }

    /** What a job published: an adapter ({@code name@version}) and its parent, or (full fine-tuning) a base model id. */
    public record Outcome(String adapter, String parent, Map<String, Double> metrics, String model) {
        Outcome(String adapter, String parent, Map<String, Double> metrics) {
            this(adapter, parent, metrics, null);
        }
    }

    /** The file a fully fine-tuned model carries about its training (job, base, labels, metrics), beside its weights. */
    static final String TRAINING_JSON = "training.json";

    private final BlobStore store;
    private final Checkpoints checkpoints;
    private final ModelStore models;
    private final RegistryClient registry;
    private final Publication publication;
    private final Path cacheDir;

    public JobRunner(BlobStore store, ModelStore models, RegistryClient registry, Publication publication,
                     TrainerConfig config) {
        this.store = store;
        this.checkpoints = new Checkpoints(store);
        this.models = models;
        this.registry = registry;
        this.publication = publication;
        this.cacheDir = config.cacheDir();
    }

    public RegistryClient registry() {
        return registry;
    }

    public Outcome run(JobSpec spec, Hooks hooks) throws IOException {
        String id = spec.jobId();
        Outcome published = alreadyPublished(spec);
        if (published != null) return published;  // the process stopped after publishing, before recording it

        Compute compute = Compute.parse(spec.device(), spec.precision());
        long fetchStart = System.nanoTime();
        Path baseDir = models.fetchModelDir(spec.baseModel(), cacheDir.resolve("models"));
        LOG.infof("job %s: base model %s ready in %.1f s (every file sha256-checked when first fetched; cached in %s)", id, spec.baseModel(),
                (System.nanoTime() - fetchStart) / 1e9, baseDir);
        String tokenizerSha = models.fileSha256(spec.baseModel(), "tokenizer.json").orElse(null);
        TokenDataset train = StoredDatasets.open(store, spec.datasets().train(), cacheDir.resolve("datasets"));
        Trainer.EvalSet validation = evalSet(train, spec.datasets().validation(), "validation");
        Trainer.EvalSet test = evalSet(train, spec.datasets().test(), "test");
        if (tokenizerSha != null && !tokenizerSha.equals(train.tokenizerSha256())) {
            throw new IllegalArgumentException("dataset '" + train.id() + "' was tokenized with another tokenizer than base model '" + spec.baseModel() + "'");
        }

        try (BaseModel model = BaseModel.load(baseDir, compute)) {
            List<String> parents = new ArrayList<>();
            List<AdapterCard> lineage = List.of();
            if (spec.parent() != null) {
                lineage = registry.resolve(AdapterRef.parse(spec.parent())).lineage();
                Lineage.requireBase(lineage, spec.baseModel());
                for (int i = 0; i < lineage.size(); i++) {
                    AdapterCard c = lineage.get(i);
                    Path dir = registry.download(c, cacheDir.resolve("adapters").resolve(c.name()).resolve(String.valueOf(c.version())));
                    // Only the direct parent may train ("fine-tuned Clinical LoRA"), in fp32 master weights; its ancestors stay frozen.
                    boolean trains = i == lineage.size() - 1 && Boolean.TRUE.equals(spec.parentTrainable());
                    LoraAdapter a = PeftAdapterDir.load(model, "parent" + i, dir);
                    a.setTrainable(trains);
                    parents.add(a.name());
                }
            }
            Trainer trainer = new Trainer(model, train, validation, test, spec.taskKind(), spec.hyper(model.config().defaultLoraTargets()), parents)
                    .keepBestEpoch(spec.keepsBestEpoch()).fullFineTuning(spec.fullFineTuning());
            Trainer.Resume resume = checkpoints.load(id);
            if (resume != null) LOG.infof("job %s: resuming after optimizer step %d", id, resume.step());
            Trainer.Result result = trainer.run("trained", listener(id, hooks), spec.checkpointEvery(), resume);

            Map<String, Double> metrics = metrics(result);
            if (spec.fullFineTuning()) return publishModel(spec, model, baseDir, train, metrics, result);
            Path out = Files.createTempDirectory("clinlora-job-");
            try {
                String parentRef = null;
                AdapterCard fineTunedParent = null;
                if (!lineage.isEmpty()) {
                    AdapterCard direct = lineage.get(lineage.size() - 1);
                    parentRef = direct.ref();
                    if (Boolean.TRUE.equals(spec.parentTrainable())) {
                        Head parentHead = direct.labelNames() == null || direct.labelNames().isEmpty() ? null
                                : new Head(direct.labelNames(), direct.problemType(), direct.noteEncoding());
                        fineTunedParent = publish(spec, model.adapter(parents.get(parents.size() - 1)), out.resolve("parent"),
                                spec.outputName() + "-parent", direct.task(), parentHead, direct.parent(), metrics, "parent-adapter/",
                                Map.of("fineTunedFrom", direct.ref()), null);
                        parentRef = fineTunedParent.ref();
                    }
                }
                try {
                    Head head = spec.domainAdaptation() ? null : new Head(train.labelNames(), train.problemType(), train.encoding());
                    AdapterCard card = publish(spec, result.adapter(), out.resolve("adapter"), spec.outputName(), spec.task(),
                            head, parentRef, metrics, "adapter/", Map.of(), evaluation(result));
                    return new Outcome(card.ref(), parentRef, metrics);
                } catch (IOException | RuntimeException e) {
                    if (fineTunedParent != null) withdraw(fineTunedParent);
                    throw e;
                }
            } finally {
                PeftAdapterDir.deleteTree(out);
            }
        }
    }

    private Trainer.EvalSet evalSet(TokenDataset train, String datasetId, String split) throws IOException {
        if (datasetId == null || datasetId.equals(train.id())) return new Trainer.EvalSet(train, List.of(split));
        TokenDataset d = StoredDatasets.open(store, datasetId, cacheDir.resolve("datasets"));
        return new Trainer.EvalSet(d, List.of("train", "validation", "test"));  // a separate dataset is evaluated whole
    }

    private Trainer.Listener listener(String id, Hooks hooks) {
        return new Trainer.Listener() {
            @Override
            public void progress(Trainer.Progress p) {
                hooks.progress(p);
            }

            @Override
            public void checkpoint(int step, Map<String, NDArray> tensors) throws IOException {
                checkpoints.save(id, step, tensors);
                hooks.checkpointed(step);
            }

            @Override
            public boolean cancelled() {
                return hooks.cancelled();
            }
        };
    }

    /** Removes the job's checkpoints and staged files once it has finished one way or another. */
    void cleanUp(String id) {
        checkpoints.cleanUp(id);
    }

    /** What a card says about a classification head: its labels, their problem type, how notes became rows. */
    private record Head(List<String> labelNames, ProblemType problemType, NoteEncoding noteEncoding) {}

    private AdapterCard publish(JobSpec spec, LoraAdapter adapter, Path dir, String name, String task, Head head, String parent,
                                Map<String, Double> metrics, String staging, Map<String, Object> extra, byte[] evaluation) throws IOException {
        PeftAdapterDir.save(adapter, dir, spec.baseModel());
        if (evaluation != null) Files.write(dir.resolve(EVALUATION), evaluation);
        String prefix = StoreLayout.trainingJob(spec.jobId()) + staging;
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) store.put(prefix + f.getFileName(), f, Map.of());
        }
        Map<String, Object> trainingConfig = new LinkedHashMap<>();
        trainingConfig.put("jobId", spec.jobId());
        trainingConfig.put("kind", spec.kind());
        trainingConfig.put("lora", spec.lora());
        trainingConfig.put("optim", spec.optim());
        trainingConfig.put("seed", spec.seed());
        trainingConfig.put("device", spec.device());
        trainingConfig.put("precision", spec.precision());
        if (spec.parent() != null) trainingConfig.put("parentTrainable", spec.parentTrainable());
        if (Boolean.TRUE.equals(spec.headOnly())) trainingConfig.put("headOnly", true);
        trainingConfig.putAll(extra);
        List<String> datasets = new ArrayList<>();
        datasets.add(spec.datasets().train());
        if (spec.datasets().validation() != null) datasets.add(spec.datasets().validation());
        if (spec.datasets().test() != null) datasets.add(spec.datasets().test());
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("task", task);
        if (head != null) {
            card.put("labelNames", head.labelNames());
            if (head.problemType() != null) card.put("problemType", head.problemType());
            if (head.noteEncoding() != null) card.put("noteEncoding", head.noteEncoding());
        }
        card.put("baseModelId", spec.baseModel());
        if (parent != null) card.put("parent", parent);
        card.put("datasetIds", datasets.stream().distinct().toList());
        card.put("trainingConfig", trainingConfig);
        card.put("metrics", metrics);
        card.put("publishedBy", "trainer-svc");
        AdapterCard published = publication.publish(name, prefix, card, spec.jobId());
        LOG.infof("job %s: published %s", spec.jobId(), published.ref());
        return published;
    }

    /** The file beside a version's PEFT files with the test split's curves (ROC, precision-recall, confusion matrix). */
    public static final String EVALUATION = "evaluation.json";

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** {@code evaluation.json}: the split, its metrics and the curves a reader plots; null without a scored test split. */
    static byte[] evaluation(Trainer.Result r) {
        if (r.testPredictions() == null || r.testPredictions().rows() == 0) return null;
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("split", "test");
        Map<String, Double> m = new LinkedHashMap<>();
        r.test().forEach((k, v) -> put(m, k, v));
        e.put("metrics", m);
        e.put("curves", EvaluationCurves.of(r.testPredictions()));
        try {
            return JSON.writeValueAsBytes(e);
        } catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** A version this job already published (found by the job id in its card), so a resumed job does not publish twice. */
    /**
     * A full fine-tuning job's result as a new base model {@code outputName}: the trained weights with its labels in
     * config.json (a Hugging Face BertForSequenceClassification directory), the base's tokenizer files, and
     * training.json (job, base, labels, how notes became rows, metrics, evaluation). Pushed through registry-svc, which
     * checks it as a loadable checkpoint.
     */
    private Outcome publishModel(JobSpec spec, BaseModel model, Path baseDir, TokenDataset train, Map<String, Double> metrics,
                                 Trainer.Result result) throws IOException {
        Path out = Files.createTempDirectory("clinlora-job-");
        try {
            Path dir = out.resolve("model");
            model.saveModel(dir, train.labelNames());
            try (var files = Files.list(baseDir)) {
                for (Path f : files.toList()) {
                    String n = f.getFileName().toString();
                    if (n.startsWith("tokenizer") || n.equals("special_tokens_map.json") || n.equals("vocab.txt")) Files.copy(f, dir.resolve(n));
                }
            }
            Map<String, Object> training = new LinkedHashMap<>();
            training.put("jobId", spec.jobId());
            training.put("baseModel", spec.baseModel());
            training.put("mode", JobSpec.FULL);
            training.put("task", spec.task());
            training.put("labelNames", train.labelNames());
            training.put("problemType", train.problemType());
            training.put("noteEncoding", train.encoding());
            training.put("datasets", spec.datasets());
            training.put("optim", spec.optim());
            training.put("seed", spec.seed());
            training.put("metrics", metrics);
            Files.write(dir.resolve(TRAINING_JSON), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(training));
            byte[] evaluation = evaluation(result);
            if (evaluation != null) Files.write(dir.resolve(EVALUATION), evaluation);
            RegistryClient.ModelPush p = publication.pushModel(spec.outputName(), dir);
            LOG.infof("job %s: fully fine-tuned model pushed as base model %s (%d files sent)", spec.jobId(), spec.outputName(), p.sent().size());
            return new Outcome(null, null, metrics, spec.outputName());
        } finally {
            PeftAdapterDir.deleteTree(out);
        }
    }

    private Outcome alreadyPublished(JobSpec spec) throws IOException {
        if (spec.fullFineTuning()) {
            // Pushed before the process stopped: the stored model says which job made it.
            if (models.manifestSha256(spec.outputName()).isEmpty()) return null;
            var t = store.getBytes(StoreLayout.model(spec.outputName()) + TRAINING_JSON);
            if (t.isEmpty()) return null;
            com.fasterxml.jackson.databind.JsonNode n = JSON.readTree(t.get());
            if (!spec.jobId().equals(n.path("jobId").asText())) return null;
            return new Outcome(null, null, JSON.convertValue(n.path("metrics"),
                    new com.fasterxml.jackson.core.type.TypeReference<Map<String, Double>>() {}), spec.outputName());
        }
        for (AdapterCard c : registry.versions(spec.outputName())) {
            if (c.trainingConfig() != null && spec.jobId().equals(c.trainingConfig().get("jobId"))) {
                return new Outcome(c.ref(), c.parent(), c.metrics());
            }
        }
        return null;
    }

    private void withdraw(AdapterCard card) {
        try {
            registry.delete(card.name(), card.version());
        } catch (IOException | RuntimeException e) {
            LOG.errorf("could not withdraw %s after a failed publication: %s", card.ref(), e.toString());
        }
    }

    /**
     * The card's metrics: validation.* and test.* (NaN dropped: JSON has no NaN), before.*, train.* — with the epoch
     * kept when the job selected its best epoch.
     */
    static Map<String, Double> metrics(Trainer.Result r) {
        Map<String, Double> m = new LinkedHashMap<>();
        r.before().forEach((k, v) -> put(m, "before." + k, v));
        r.validation().forEach((k, v) -> put(m, "validation." + k, v));
        r.test().forEach((k, v) -> put(m, "test." + k, v));
        put(m, "train.steps", r.steps());
        put(m, "train.tokens", r.tokens());
        put(m, "train.seconds", r.seconds());
        put(m, "train.trainable_parameters", r.trainableParameters());
        if (r.selected() != null) {
            put(m, "train.selected_epoch", r.selected().epoch());
            put(m, "train.selected_step", r.selected().step());
        }
        return m;
    }

    private static void put(Map<String, Double> m, String k, double v) {
        if (Double.isFinite(v)) m.put(k, v);
    }


}
