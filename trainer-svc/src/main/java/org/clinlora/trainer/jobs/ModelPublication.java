package org.clinlora.trainer.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.data.TokenDataset;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.platform.jobs.JobSpec;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.StoreLayout;
import org.jboss.logging.Logger;

/**
 * A full fine-tuning job's result as a new base model {@code outputName}: the trained weights with its labels in
 * config.json (a Hugging Face BertForSequenceClassification directory), the base's tokenizer files, and
 * {@code training.json} (job, base, labels, how notes became rows, metrics) with {@code evaluation.json}. Pushed
 * through registry-svc, which checks it as a loadable checkpoint; a job resumed after the push finds it again by the
 * job id in its training.json.
 */
@Singleton
final class ModelPublication {
    private static final Logger LOG = Logger.getLogger(ModelPublication.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The file a fully fine-tuned model carries about its training, beside its weights. */
    static final String TRAINING_JSON = "training.json";

    private final BlobStore store;
    private final ModelStore models;
    private final Publication publication;

    ModelPublication(BlobStore store, ModelStore models, Publication publication) {
        this.store = store;
        this.models = models;
        this.publication = publication;
    }

    JobRunner.Outcome push(
            JobSpec spec,
            BaseModel model,
            Path baseDir,
            TokenDataset train,
            Map<String, Double> metrics,
            byte[] evaluation)
            throws IOException {
        Path out = Files.createTempDirectory("clinlora-job-");
        try {
            Path dir = out.resolve("model");
            model.saveModel(dir, train.labelNames());
            copyTokenizer(baseDir, dir);
            Files.write(
                    dir.resolve(TRAINING_JSON),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(training(spec, train, metrics)));
            if (evaluation != null) Files.write(dir.resolve(RunReport.EVALUATION), evaluation);
            RegistryClient.ModelPush p = publication.pushModel(spec.outputName(), dir);
            LOG.infof(
                    "job %s: fully fine-tuned model pushed as base model %s (%d files sent)",
                    spec.jobId(), spec.outputName(), p.sent().size());
            return new JobRunner.Outcome(null, null, metrics, spec.outputName());
        } finally {
            PeftAdapterDir.deleteTree(out);
        }
    }

    /** The model this job already pushed (the process stopped after the push, before recording it). */
    Optional<JobRunner.Outcome> pushed(JobSpec spec) throws IOException {
        if (models.manifestSha256(spec.outputName()).isEmpty()) return Optional.empty();
        var t = store.getBytes(StoreLayout.model(spec.outputName()) + TRAINING_JSON);
        if (t.isEmpty()) return Optional.empty();
        JsonNode n = JSON.readTree(t.get());
        if (!spec.jobId().equals(n.path("jobId").asText())) return Optional.empty();
        Map<String, Double> metrics = JSON.convertValue(n.path("metrics"), new TypeReference<>() {});
        return Optional.of(new JobRunner.Outcome(null, null, metrics, spec.outputName()));
    }

    private static void copyTokenizer(Path baseDir, Path dir) throws IOException {
        try (var files = Files.list(baseDir)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (n.startsWith("tokenizer") || n.equals("special_tokens_map.json") || n.equals("vocab.txt"))
                    Files.copy(f, dir.resolve(n));
            }
        }
    }

    private static Map<String, Object> training(JobSpec spec, TokenDataset train, Map<String, Double> metrics) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("jobId", spec.jobId());
        t.put("baseModel", spec.baseModel());
        t.put("mode", JobSpec.FULL);
        t.put("task", spec.task());
        t.put("labelNames", train.labelNames());
        t.put("problemType", train.problemType());
        t.put("noteEncoding", train.encoding());
        t.put("datasets", spec.datasets());
        t.put("optim", spec.optim());
        t.put("seed", spec.seed());
        t.put("metrics", metrics);
        return t;
    }
}
