package org.clinlora.trainer.jobs;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.core.data.TokenDataset;
import org.clinlora.core.io.AdapterCard;
import org.clinlora.core.io.NdArrays;
import org.clinlora.core.io.PeftAdapterDir;
import org.clinlora.core.io.SafeTensors;
import org.clinlora.core.io.Sha256;
import org.clinlora.core.lora.LoraAdapter;
import org.clinlora.core.model.Compute;
import org.clinlora.core.model.LlamaModel;
import org.clinlora.core.registry.RegistryClient;
import org.clinlora.core.store.ModelStore;
import org.clinlora.core.store.ObjectStore;
import org.clinlora.core.store.StoreLayout;
import org.clinlora.core.train.JobSpec;
import org.clinlora.core.train.Trainer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
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
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String CHECKPOINT = "checkpoint.json";

    /** What the worker needs from a run: progress, checkpoints, cancellation. */
    public interface Hooks {
        void progress(Trainer.Progress p);

        void checkpointed(int step);

        boolean cancelled();
    }

    public record Outcome(String adapter, String parent, Map<String, Double> metrics) {}

    private final ObjectStore store;
    private final ModelStore models;
    private final RegistryClient registry;
    private final Path cacheDir;

    public JobRunner(ObjectStore store, ModelStore models, RegistryClient registry,
                     @ConfigProperty(name = "clinlora.trainer.cache-dir") Path cacheDir) {
        this.store = store;
        this.models = models;
        this.registry = registry;
        this.cacheDir = cacheDir;
    }

    public RegistryClient registry() {
        return registry;
    }

    public Outcome run(JobSpec spec, Hooks hooks) throws IOException {
        String id = spec.jobId();
        Outcome published = alreadyPublished(spec);
        if (published != null) return published;  // the process stopped after publishing, before recording it

        Compute compute = Compute.parse(spec.device(), spec.precision());
        Path baseDir = models.fetchModelDir(spec.baseModel(), cacheDir.resolve("models"));
        String tokenizerSha = models.fileSha256(spec.baseModel(), "tokenizer.json").orElse(null);
        TokenDataset train = TokenDataset.open(store, spec.datasets().train(), cacheDir.resolve("datasets"));
        Trainer.EvalSet validation = evalSet(train, spec.datasets().validation(), "validation");
        Trainer.EvalSet test = evalSet(train, spec.datasets().test(), "test");
        if (tokenizerSha != null && !tokenizerSha.equals(train.tokenizerSha256())) {
            throw new IllegalArgumentException("dataset '" + train.id() + "' was tokenized with another tokenizer than base model '" + spec.baseModel() + "'");
        }

        try (LlamaModel model = LlamaModel.load(baseDir, compute)) {
            List<String> parents = new ArrayList<>();
            List<AdapterCard> lineage = List.of();
            if (spec.parent() != null) {
                String[] ref = RegistryClient.parseRef(spec.parent(), "production");
                RegistryClient.Resolved r = registry.resolve(ref[0], ref[1]);
                lineage = r.lineage();
                for (int i = 0; i < lineage.size(); i++) {
                    AdapterCard c = lineage.get(i);
                    if (c.baseModel() == null || !spec.baseModel().equals(c.baseModel().id())) {
                        throw new IllegalArgumentException("parent " + c.ref() + " was trained on base model '" + (c.baseModel() == null ? null : c.baseModel().id()) + "', not '" + spec.baseModel() + "'");
                    }
                    Path dir = registry.download(c, cacheDir.resolve("adapters").resolve(c.name()).resolve(String.valueOf(c.version())));
                    // Only the direct parent may train ("fine-tuned Clinical LoRA"), in fp32 master weights; its ancestors stay frozen.
                    boolean trains = i == lineage.size() - 1 && Boolean.TRUE.equals(spec.parentTrainable());
                    LoraAdapter a = PeftAdapterDir.load(model, "parent" + i, dir, trains ? ai.djl.ndarray.types.DataType.FLOAT32 : compute.dtype());
                    a.setTrainable(trains);
                    parents.add(a.name());
                }
            }
            Trainer trainer = new Trainer(model, train, validation, test,
                    spec.domainAdaptation() ? Trainer.Kind.DOMAIN_ADAPTATION : Trainer.Kind.DOWNSTREAM, spec.hyper(), parents);
            Trainer.Resume resume = loadCheckpoint(id);
            if (resume != null) LOG.infof("job %s: resuming after optimizer step %d", id, resume.step());
            Trainer.Result result = trainer.run("trained", listener(id, hooks), spec.checkpointEvery(), resume);

            Map<String, Double> metrics = metrics(result);
            Path out = Files.createTempDirectory("clinlora-job-");
            try {
                String parentRef = null;
                AdapterCard fineTunedParent = null;
                if (!lineage.isEmpty()) {
                    AdapterCard direct = lineage.get(lineage.size() - 1);
                    parentRef = direct.ref();
                    if (Boolean.TRUE.equals(spec.parentTrainable())) {
                        fineTunedParent = publish(spec, model.adapter(parents.get(parents.size() - 1)), out.resolve("parent"),
                                spec.outputName() + "-parent", direct.task(), direct.labelNames(),
                                direct.trainingConfig() != null && "multi_label_classification".equals(direct.trainingConfig().get("problemType")), direct.parent(), metrics, "parent-adapter/",
                                Map.of("fineTunedFrom", direct.ref()));
                        parentRef = fineTunedParent.ref();
                    }
                }
                try {
                    AdapterCard card = publish(spec, result.adapter(), out.resolve("adapter"), spec.outputName(), spec.task(),
                            spec.domainAdaptation() ? null : train.labelNames(), train.multilabel(), parentRef, metrics, "adapter/", Map.of());
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
        TokenDataset d = TokenDataset.open(store, datasetId, cacheDir.resolve("datasets"));
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
                saveCheckpoint(id, step, tensors);
                hooks.checkpointed(step);
            }

            @Override
            public boolean cancelled() {
                return hooks.cancelled();
            }
        };
    }

    /** Tensors first, then the pointer: a crash between the two leaves the previous checkpoint in force. */
    private void saveCheckpoint(String id, int step, Map<String, NDArray> tensors) throws IOException {
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        tensors.forEach((k, v) -> t.put(k, NdArrays.toTensor(v.toType(ai.djl.ndarray.types.DataType.FLOAT32, false))));
        Path tmp = Files.createTempFile("checkpoint", ".safetensors");
        try {
            SafeTensors.write(tmp, t, Map.of("job", id, "step", String.valueOf(step)));
            String file = String.format("checkpoints/step-%08d.safetensors", step);
            String sha = Sha256.of(tmp);
            String prefix = StoreLayout.trainingJob(id);
            store.put(prefix + file, tmp, Map.of());
            String previous = store.getBytes(prefix + CHECKPOINT).map(b -> readTree(b).path("file").asText()).orElse(null);
            store.put(prefix + CHECKPOINT, JSON.writeValueAsBytes(Map.of("step", step, "file", file, "sha256", sha)), Map.of());
            if (previous != null && !previous.equals(file)) store.delete(prefix + previous);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private Trainer.Resume loadCheckpoint(String id) throws IOException {
        String prefix = StoreLayout.trainingJob(id);
        var pointer = store.getBytes(prefix + CHECKPOINT);
        if (pointer.isEmpty()) return null;
        JsonNode p = readTree(pointer.get());
        Path tmp = Files.createTempFile("checkpoint", ".safetensors");
        try {
            String got;
            try (var in = store.open(prefix + p.path("file").asText()); var out = Files.newOutputStream(tmp)) {
                got = Sha256.copy(in, out);
            }
            if (!got.equals(p.path("sha256").asText())) throw new IllegalStateException("checkpoint of job " + id + " does not match its sha256; refusing it");
            Map<String, float[]> tensors = new LinkedHashMap<>();
            try (SafeTensors.Reader r = SafeTensors.open(tmp)) {
                for (String k : r.entries().keySet()) tensors.put(k, r.floats(k));
            }
            return new Trainer.Resume(p.path("step").asInt(), tensors);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Removes the job's checkpoints and staged files once it has finished one way or another. */
    void cleanUp(String id) {
        String prefix = StoreLayout.trainingJob(id);
        for (String k : store.list(prefix)) {
            if (!k.endsWith("/job.json")) store.delete(k);
        }
    }

    private AdapterCard publish(JobSpec spec, LoraAdapter adapter, Path dir, String name, String task, List<String> labelNames,
                                boolean multilabel, String parent, Map<String, Double> metrics, String staging, Map<String, Object> extra) throws IOException {
        PeftAdapterDir.save(adapter, dir, spec.baseModel());
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
        if (labelNames != null) trainingConfig.put("problemType", multilabel ? "multi_label_classification" : "single_label_classification");
        if (spec.parent() != null) trainingConfig.put("parentTrainable", spec.parentTrainable());
        if (Boolean.TRUE.equals(spec.headOnly())) trainingConfig.put("headOnly", true);
        trainingConfig.putAll(extra);
        List<String> datasets = new ArrayList<>();
        datasets.add(spec.datasets().train());
        if (spec.datasets().validation() != null) datasets.add(spec.datasets().validation());
        if (spec.datasets().test() != null) datasets.add(spec.datasets().test());
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("task", task);
        if (labelNames != null) card.put("labelNames", labelNames);
        card.put("baseModelId", spec.baseModel());
        if (parent != null) card.put("parent", parent);
        card.put("datasetIds", datasets.stream().distinct().toList());
        card.put("trainingConfig", trainingConfig);
        card.put("metrics", metrics);
        card.put("publishedBy", "trainer-svc");
        AdapterCard published = registry.publishFromStore(name, prefix, card);
        LOG.infof("job %s: published %s", spec.jobId(), published.ref());
        return published;
    }

    /** A version this job already published (found by the job id in its card), so a resumed job does not publish twice. */
    private Outcome alreadyPublished(JobSpec spec) throws IOException {
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

    /** The card's metrics: validation.* and test.* (NaN dropped: JSON has no NaN), before.*, train.*. */
    static Map<String, Double> metrics(Trainer.Result r) {
        Map<String, Double> m = new LinkedHashMap<>();
        r.before().forEach((k, v) -> put(m, "before." + k, v));
        r.validation().forEach((k, v) -> put(m, "validation." + k, v));
        r.test().forEach((k, v) -> put(m, "test." + k, v));
        put(m, "train.steps", r.steps());
        put(m, "train.tokens", r.tokens());
        put(m, "train.seconds", r.seconds());
        put(m, "train.trainable_parameters", r.trainableParameters());
        return m;
    }

    private static void put(Map<String, Double> m, String k, double v) {
        if (Double.isFinite(v)) m.put(k, v);
    }

    private static JsonNode readTree(byte[] b) {
        try {
            return JSON.readTree(b);
        } catch (IOException e) {
            throw new IllegalStateException("unreadable JSON in the job's files");
        }
    }

}
