package org.clinlora.trainer.jobs;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.base.Compute;
import org.clinlora.model.data.TokenDataset;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.train.Trainer;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.jobs.JobSpec;
import org.clinlora.platform.memory.MemoryPreflight;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterSource;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.platform.store.StoredDatasets;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * Runs one admitted job ({@link ResolvedJob}): a memory preflight (the base must fit where the job runs), the verified
 * base model and parent stack, the datasets, {@link Trainer} reporting to the job's listener (progress, checkpoints,
 * cancellation), then publication through registry-svc. Publication is idempotent by job id (a job resumed after
 * publishing does not publish twice), and a job that fails after publishing a fine-tuned parent withdraws it, so a
 * failed job leaves no published version.
 */
@ApplicationScoped
public class JobRunner {
    private static final Logger LOG = Logger.getLogger(JobRunner.class);

    /**
     * What a job published: an adapter ({@code name@version}) and its parent, or (full fine-tuning) a base model id.
     */
    public record Outcome(String adapter, String parent, Map<String, Double> metrics, String model) {
        Outcome(String adapter, String parent, Map<String, Double> metrics) {
            this(adapter, parent, metrics, null);
        }
    }

    /** The job's datasets: what it trains on, and what validation and test evaluate. */
    private record Data(TokenDataset train, Trainer.EvalSet validation, Trainer.EvalSet test) {}

    private final BlobStore store;
    private final ModelStore models;
    private final AdapterSource adapters;
    private final Checkpoints checkpoints;
    private final Publication publication;
    private final ModelPublication modelPublication;
    private final Path cacheDir;
    private final MemoryPreflight memory;

    /** {@code adapters}: where the parent stack's files come from (registry-svc). */
    @Inject
    public JobRunner(
            BlobStore store,
            ModelStore models,
            AdapterSource adapters,
            Checkpoints checkpoints,
            Publication publication,
            ModelPublication modelPublication,
            TrainerConfig config,
            Config settings) {
        this(
                store,
                models,
                adapters,
                checkpoints,
                publication,
                modelPublication,
                config,
                MemoryPreflight.fromConfig(k -> settings.getOptionalValue(k, String.class)));
    }

    /** Without a memory preflight (unit tests). */
    public JobRunner(
            BlobStore store,
            ModelStore models,
            AdapterSource adapters,
            Checkpoints checkpoints,
            Publication publication,
            ModelPublication modelPublication,
            TrainerConfig config) {
        this(store, models, adapters, checkpoints, publication, modelPublication, config, MemoryPreflight.disabled());
    }

    public JobRunner(
            BlobStore store,
            ModelStore models,
            AdapterSource adapters,
            Checkpoints checkpoints,
            Publication publication,
            ModelPublication modelPublication,
            TrainerConfig config,
            MemoryPreflight memory) {
        this.memory = memory;
        this.store = store;
        this.models = models;
        this.adapters = adapters;
        this.checkpoints = checkpoints;
        this.publication = publication;
        this.modelPublication = modelPublication;
        this.cacheDir = config.cacheDir();
    }

    /**
     * Trains the job and publishes what it made. {@code requestedBy}: the job's submitter (the subject of the token
     * that submitted it, or null), recorded on the cards as {@code trainingConfig.requestedBy} beside the registry's
     * own {@code publishedBy}, which is this service.
     */
    public Outcome run(ResolvedJob job, String requestedBy, Trainer.Listener listener) throws IOException {
        JobSpec spec = job.spec();
        Optional<Outcome> published = alreadyPublished(spec);
        if (published.isPresent()) return published.get(); // the process stopped after publishing, before recording it
        Data data = open(spec);
        preflight(job, data.train().seqLen());
        Path baseDir = fetchBase(spec);
        try (BaseModel model = BaseModel.load(baseDir, job.compute())) {
            List<String> parents = loadParents(job, model);
            Trainer.Result result = train(spec, model, data, parents, listener);
            Map<String, Double> metrics = RunReport.metrics(result);
            if (spec.fullFineTuning())
                return modelPublication.push(spec, model, baseDir, data.train(), metrics, RunReport.evaluation(result));
            return publishAdapters(job, requestedBy, model, parents, data.train(), result, metrics);
        }
    }

    /**
     * Before the base is fetched: does it fit where this job runs? The serving estimate with the job's micro-batch and
     * the dataset's row length — a floor for training (gradients and the backward pass need more), so a job it refuses
     * could not have run. The job fails with the one-line refusal as its reason.
     */
    private void preflight(ResolvedJob job, int seqLen) {
        JobSpec spec = job.spec();
        BaseModelConfig base = models.config(spec.baseModel())
                .orElseThrow(() -> new IllegalArgumentException("unknown base model '" + spec.baseModel() + "'"));
        memory.check(new MemoryPreflight.Subject(
                        "trainer-svc cannot run job '" + spec.jobId() + "'",
                        spec.baseModel(),
                        base,
                        job.compute().half() ? Compute.Precision.FP16 : Compute.Precision.FP32,
                        job.compute().device(),
                        spec.optim().batchSize(),
                        seqLen,
                        "submit it with \"precision\": \"fp16\"",
                        "train a smaller model"))
                .ifPresent(refusal -> {
                    throw new Unprocessable("insufficient_memory", refusal);
                });
    }

    private Path fetchBase(JobSpec spec) throws IOException {
        long start = System.nanoTime();
        Path dir = models.fetchModelDir(spec.baseModel(), cacheDir.resolve("models"));
        LOG.infof(
                "job %s: base model %s ready in %.1f s (every file sha256-checked when first fetched; cached in %s)",
                spec.jobId(), spec.baseModel(), (System.nanoTime() - start) / 1e9, dir);
        return dir;
    }

    /** The datasets, refused when they were tokenized with another tokenizer than the base model's. */
    private Data open(JobSpec spec) throws IOException {
        String tokenizerSha =
                models.fileSha256(spec.baseModel(), "tokenizer.json").orElse(null);
        TokenDataset train = StoredDatasets.open(store, spec.datasets().train(), cacheDir.resolve("datasets"));
        if (tokenizerSha != null && !tokenizerSha.equals(train.tokenizerSha256())) {
            throw new IllegalArgumentException("dataset '" + train.id()
                    + "' was tokenized with another tokenizer than base model '" + spec.baseModel() + "'");
        }
        return new Data(
                train,
                evalSet(train, spec.datasets().validation(), "validation"),
                evalSet(train, spec.datasets().test(), "test"));
    }

    private Trainer.EvalSet evalSet(TokenDataset train, String datasetId, String split) throws IOException {
        if (datasetId == null || datasetId.equals(train.id())) return new Trainer.EvalSet(train, List.of(split));
        TokenDataset d = StoredDatasets.open(store, datasetId, cacheDir.resolve("datasets"));
        return new Trainer.EvalSet(d, List.of("train", "validation", "test")); // a separate dataset is evaluated whole
    }

    /** The parent stack on the model, root first; returns the adapters' names in stack order. */
    private List<String> loadParents(ResolvedJob job, BaseModel model) throws IOException {
        List<AdapterCard> lineage = job.lineage();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < lineage.size(); i++) {
            AdapterCard c = lineage.get(i);
            Path dir = adapters.download(
                    c, cacheDir.resolve("adapters").resolve(c.name()).resolve(String.valueOf(c.version())));
            LoraAdapter a = PeftAdapterDir.load(model, "parent" + i, dir);
            // Only the direct parent may train ("fine-tuned Clinical LoRA"), in fp32 master weights; its ancestors
            // stay frozen.
            a.setTrainable(i == lineage.size() - 1 && job.parentTrains());
            names.add(a.name());
        }
        return names;
    }

    private Trainer.Result train(
            JobSpec spec, BaseModel model, Data data, List<String> parents, Trainer.Listener listener)
            throws IOException {
        Trainer trainer = new Trainer(
                        model,
                        data.train(),
                        data.validation(),
                        data.test(),
                        spec.taskKind(),
                        spec.hyper(model.config().defaultLoraTargets()),
                        parents)
                .fullFineTuning(spec.fullFineTuning());
        if (!spec.domainAdaptation()) trainer.protocol(spec.downstreamProtocol());
        Trainer.Resume resume = checkpoints.load(spec.jobId());
        if (resume != null) LOG.infof("job %s: resuming after optimizer step %d", spec.jobId(), resume.step());
        return trainer.run("trained", listener, spec.checkpointEvery(), resume);
    }

    /**
     * The trained adapter as a new version of {@code outputName}, on the job's parent — or, when the parent trained
     * too, on the parent's own new version ({@code outputName-parent}), which is withdrawn if the adapter cannot be
     * published.
     */
    private Outcome publishAdapters(
            ResolvedJob job,
            String requestedBy,
            BaseModel model,
            List<String> parents,
            TokenDataset train,
            Trainer.Result result,
            Map<String, Double> metrics)
            throws IOException {
        JobSpec spec = job.spec();
        Path out = Files.createTempDirectory("clinlora-job-");
        try {
            AdapterCard fineTunedParent = job.parentTrains()
                    ? publishParent(job, requestedBy, model.adapter(parents.get(parents.size() - 1)), metrics, out)
                    : null;
            String parentRef = fineTunedParent != null
                    ? fineTunedParent.ref()
                    : job.directParent() == null ? null : job.directParent().ref();
            PublishRequest card = card(spec, requestedBy, spec.task(), parentRef, metrics, Map.of());
            if (!spec.domainAdaptation())
                card = card.withLabels(train.labelNames(), train.problemType(), train.encoding());
            try {
                AdapterCard published = publish(
                        spec,
                        result.adapter(),
                        out.resolve("adapter"),
                        spec.outputName(),
                        card,
                        "adapter/",
                        RunReport.evaluation(result));
                return new Outcome(published.ref(), parentRef, metrics);
            } catch (IOException | RuntimeException e) {
                if (fineTunedParent != null) publication.withdraw(fineTunedParent);
                throw e;
            }
        } finally {
            PeftAdapterDir.deleteTree(out);
        }
    }

    /** The direct parent as it trained in this job: a new version with the parent's own task, head and parent. */
    private AdapterCard publishParent(
            ResolvedJob job, String requestedBy, LoraAdapter trained, Map<String, Double> metrics, Path out)
            throws IOException {
        JobSpec spec = job.spec();
        AdapterCard direct = job.directParent();
        PublishRequest card =
                card(spec, requestedBy, direct.task(), direct.parent(), metrics, Map.of("fineTunedFrom", direct.ref()));
        if (direct.labelNames() != null && !direct.labelNames().isEmpty())
            card = card.withLabels(direct.labelNames(), direct.problemType(), direct.noteEncoding());
        return publish(
                spec, trained, out.resolve("parent"), spec.outputName() + "-parent", card, "parent-adapter/", null);
    }

    /**
     * What every card this job publishes says: task, base, parent, datasets, how it trained and for whom, metrics. Not
     * who published it: the registry records the subject of this service's token.
     */
    static PublishRequest card(
            JobSpec spec,
            String requestedBy,
            String task,
            String parent,
            Map<String, Double> metrics,
            Map<String, Object> extra) {
        Map<String, Object> config = trainingConfig(spec, extra);
        if (requestedBy != null) config.put("requestedBy", requestedBy);
        return PublishRequest.of(task, spec.baseModel())
                .withParent(parent)
                .withTraining(datasetIds(spec), config, metrics);
    }

    /** The card's free-form training config: the job and the settings it trained with. */
    private static Map<String, Object> trainingConfig(JobSpec spec, Map<String, Object> extra) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("jobId", spec.jobId());
        c.put("kind", spec.kind());
        c.put("lora", spec.lora());
        c.put("optim", spec.optim());
        c.put("seed", spec.seed());
        c.put("device", spec.device());
        c.put("precision", spec.precision());
        if (spec.parent() != null) c.put("parentTrainable", spec.parentTrainable());
        if (Boolean.TRUE.equals(spec.headOnly())) c.put("headOnly", true);
        c.putAll(extra);
        return c;
    }

    private static List<String> datasetIds(JobSpec spec) {
        List<String> ids = new ArrayList<>();
        ids.add(spec.datasets().train());
        if (spec.datasets().validation() != null) ids.add(spec.datasets().validation());
        if (spec.datasets().test() != null) ids.add(spec.datasets().test());
        return ids.stream().distinct().toList();
    }

    /** The adapter's PEFT files staged under the job's prefix in the store, then published from there. */
    private AdapterCard publish(
            JobSpec spec,
            LoraAdapter adapter,
            Path dir,
            String name,
            PublishRequest card,
            String staging,
            byte[] evaluation)
            throws IOException {
        PeftAdapterDir.save(adapter, dir, spec.baseModel());
        if (evaluation != null) Files.write(dir.resolve(RunReport.EVALUATION), evaluation);
        String prefix = StoreLayout.trainingJob(spec.jobId()) + staging;
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) store.put(prefix + f.getFileName(), f, Map.of());
        }
        AdapterCard published = publication.publish(name, prefix, card, spec.jobId());
        LOG.infof("job %s: published %s", spec.jobId(), published.ref());
        return published;
    }

    /**
     * What this job already published (found by its job id: in the adapter's card, or in a pushed model's
     * training.json), so a job resumed after publishing does not publish twice.
     */
    private Optional<Outcome> alreadyPublished(JobSpec spec) throws IOException {
        if (spec.fullFineTuning()) return modelPublication.pushed(spec);
        return publication
                .publishedBy(spec.outputName(), spec.jobId())
                .map(c -> new Outcome(c.ref(), c.parent(), c.metrics()));
    }
}
