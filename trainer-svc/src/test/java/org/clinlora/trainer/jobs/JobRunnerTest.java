package org.clinlora.trainer.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.data.NoteFiles;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TokenDataset;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.BpeTokenizerBuilder;
import org.clinlora.model.text.NoteNormalizer;
import org.clinlora.model.train.Trainer;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.jobs.JobSpec;
import org.clinlora.platform.memory.MemoryPreflight;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.registry.AdapterSource;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.platform.store.StoredDatasets;
import org.clinlora.testing.InMemoryBlobStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JobRunner} without Kafka, S3 or registry-svc: a tiny LLaMA and synthetic datasets in an in-memory store, the
 * registry replaced by {@link FakeRegistry} (publication and parent downloads). The paper's two steps, each a few
 * optimizer steps: a Clinical LoRA, then a Downstream LoRA stacked on it.
 */
class JobRunnerTest {
    static final String BASE = "tiny-base", NOTES = "notes", MOR = "mor";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static InMemoryBlobStore store;
    static ModelStore models;
    static FakeRegistry registry;
    static JobAdmission admission;
    static JobRunner runner;

    @BeforeAll
    static void prepare() throws IOException {
        Path model = dir.resolve("model");
        TinyLlama.write(model, new TinyLlama.Spec(800, 32, 1, 4, 2, 96, 512, false, 4));
        store = new InMemoryBlobStore();
        models = new ModelStore(store);
        models.upload(BASE, model);
        Path corpus = dir.resolve("corpus");
        new SyntheticCorpus(new SyntheticCorpus.Settings(60, 0.9, 5)).write(corpus);
        build(
                model,
                NOTES,
                TaskKind.CAUSAL_LM,
                null,
                b -> NoteFiles.readMimicNotes(
                        corpus.resolve("synthetic_discharge.csv.gz"),
                        CsvReader.OnMalformed.FAIL,
                        n -> add(b, n.noteId(), n.subjectId(), n.text(), null)));
        SyntheticCorpus.Task mor = SyntheticCorpus.TASKS.stream()
                .filter(t -> t.name().equals(MOR))
                .findFirst()
                .orElseThrow();
        build(
                model,
                MOR,
                TaskKind.SEQ_CLS,
                new DatasetBuilder.LabelSpace(mor.labelNames(), mor.multilabel()),
                b -> NoteFiles.readTaskFile(
                        corpus.resolve("synthetic_mor.csv"),
                        CsvReader.OnMalformed.FAIL,
                        e -> add(b, e.id(), e.subjectId(), e.text(), e.labels())));
        registry = new FakeRegistry();
        admission = new JobAdmission(store, models, registry);
        TrainerConfig config = config(dir.resolve("cache"));
        Publication publication = registry.publication;
        runner = new JobRunner(
                store,
                models,
                registry,
                new Checkpoints(store),
                publication,
                new ModelPublication(store, models, publication),
                config);
    }

    @Test
    void aClinicalLoraThenADownstreamLoraOnItWithTheParentTrainingToo() throws IOException {
        String clinicalJob = "job-clinical";
        ResolvedJob clinical = admission.admit(
                spec("{\"jobId\":\"" + clinicalJob + "\",\"kind\":\"domain_adaptation\",\"baseModel\":\"" + BASE
                        + "\",\"datasets\":{\"train\":\"" + NOTES + "\"},\"outputName\":\"clinical\","
                        + "\"optim\":{\"batchSize\":4,\"gradientAccumulation\":1,\"maxSteps\":5},"
                        + "\"device\":\"cpu\",\"checkpointEvery\":2}"));
        Listener listener = new Listener(clinicalJob);
        JobRunner.Outcome outcome = runner.run(clinical, "alice", listener);

        assertEquals("clinical@1", outcome.adapter());
        assertNull(outcome.parent());
        assertEquals(List.of(1, 2, 3, 4, 5), listener.steps, "every optimizer step reaches the listener");
        assertEquals(List.of(2, 4), listener.checkpoints, "a checkpoint every 2 steps before the last");
        assertEquals(4, new Checkpoints(store).load(clinicalJob).step(), "the newest checkpoint, verified");
        String staged = StoreLayout.trainingJob(clinicalJob) + "adapter/";
        assertTrue(store.getBytes(staged + PeftAdapterDir.WEIGHTS).isPresent(), "the adapter's weights are staged");
        assertTrue(store.getBytes(staged + PeftAdapterDir.CONFIG).isPresent(), "the adapter's config is staged");
        assertTrue(outcome.metrics().containsKey("before.perplexity"), String.valueOf(outcome.metrics()));
        assertTrue(outcome.metrics().containsKey("validation.perplexity"), String.valueOf(outcome.metrics()));

        PublishRequest card = registry.requests.get("clinical");
        assertEquals("clinical-lm", card.task());
        assertNull(card.labelNames(), "a causal LM adapter has no head");
        assertEquals(BASE, card.baseModelId());
        assertNull(card.parent());
        assertEquals(List.of(NOTES), card.datasetIds());
        assertEquals(clinicalJob, card.trainingConfig().get("jobId"));
        assertEquals(outcome.metrics(), card.metrics());
        assertNull(card.publishedBy(), "the registry records the subject of trainer-svc's token, not a name it sends");
        assertEquals("alice", card.trainingConfig().get("requestedBy"), "the job's submitter rides on its card");

        String downstreamJob = "job-mor";
        ResolvedJob downstream = admission.admit(spec("{\"jobId\":\"" + downstreamJob
                + "\",\"kind\":\"downstream\",\"baseModel\":\"" + BASE + "\",\"datasets\":{\"train\":\"" + MOR
                + "\"},\"parent\":\"clinical@1\",\"parentTrainable\":true,\"outputName\":\"mor-out\",\"task\":\"mor\","
                + "\"optim\":{\"batchSize\":4,\"gradientAccumulation\":1,\"maxSteps\":3},\"device\":\"cpu\"}"));
        assertEquals(
                List.of("clinical@1"),
                downstream.lineage().stream().map(AdapterCard::ref).toList());
        JobRunner.Outcome second = runner.run(downstream, "alice", new Listener(downstreamJob));

        assertEquals("mor-out@1", second.adapter());
        assertEquals("mor-out-parent@1", second.parent(), "on the parent as it trained in this job");
        PublishRequest parent = registry.requests.get("mor-out-parent");
        assertEquals("clinical-lm", parent.task(), "the fine-tuned parent keeps the parent's task");
        assertNull(parent.labelNames());
        assertNull(parent.parent());
        assertEquals("clinical@1", parent.trainingConfig().get("fineTunedFrom"));
        PublishRequest mor = registry.requests.get("mor-out");
        TokenDataset data = StoredDatasets.open(store, MOR, dir.resolve("check"));
        assertEquals("mor", mor.task());
        assertEquals(data.labelNames(), mor.labelNames());
        assertEquals(data.problemType(), mor.problemType());
        assertEquals(data.encoding(), mor.noteEncoding());
        assertNotNull(mor.noteEncoding());
        assertEquals(BASE, mor.baseModelId());
        assertEquals("mor-out-parent@1", mor.parent());
        assertEquals(true, mor.trainingConfig().get("parentTrainable"));
        assertTrue(
                store.getBytes(StoreLayout.trainingJob(downstreamJob) + "adapter/" + RunReport.EVALUATION)
                        .isPresent(),
                "the test split's curves go with the version");
        assertTrue(mor.metrics().containsKey("test.macro_auroc"), String.valueOf(mor.metrics()));

        // Run again (a job resumed after publishing): the published version is the outcome, nothing trains.
        Listener again = new Listener(downstreamJob);
        JobRunner.Outcome repeated = runner.run(downstream, "alice", again);
        assertEquals(second.adapter(), repeated.adapter());
        assertEquals(List.of(), again.steps);
        assertEquals(3, registry.requests.size(), "no second publication");
    }

    @Test
    void aDownstreamJobReportsEveryEpochsValidationScoresAndPublishesTheBestEpoch() throws IOException {
        String id = "job-epochs";
        ResolvedJob job = admission.admit(spec("{\"jobId\":\"" + id + "\",\"kind\":\"downstream\",\"baseModel\":\""
                + BASE + "\",\"datasets\":{\"train\":\"" + MOR + "\"},\"outputName\":\"mor-epochs\",\"task\":\"mor\","
                + "\"optim\":{\"learningRate\":0.01,\"batchSize\":8,\"gradientAccumulation\":1,\"epochs\":3},"
                + "\"device\":\"cpu\",\"checkpointEvery\":0}"));
        Listener listener = new Listener(id);
        JobRunner.Outcome outcome = runner.run(job, null, listener);

        assertEquals(
                List.of(1.0, 2.0, 3.0),
                listener.epochs.stream().map(Trainer.EpochScore::epoch).toList(),
                "one validation score at the end of every epoch");
        assertEquals(
                listener.steps.get(listener.steps.size() - 1),
                listener.epochs.get(2).step(),
                "the last epoch ends at the last step");
        for (Trainer.EpochScore e : listener.epochs) {
            assertTrue(e.validationMacroAuroc() >= 0 && e.validationMacroAuroc() <= 1, String.valueOf(e));
            assertTrue(e.validationLoss() > 0, String.valueOf(e));
        }
        Trainer.EpochScore best = listener.epochs.stream()
                .reduce((a, b) -> b.validationMacroAuroc() > a.validationMacroAuroc() ? b : a)
                .orElseThrow();
        assertEquals(best.epoch(), outcome.metrics().get("train.selected_epoch"), "the card names the kept epoch");
        assertEquals(best.validationMacroAuroc(), outcome.metrics().get("validation.macro_auroc"), 1e-12);
    }

    @Test
    void aJobWhoseBaseDoesNotFitWhereItRunsFailsWithTheOneLineBeforeTheBaseIsFetched() throws IOException {
        // 64 MiB where the runtime alone is 1.5 GiB: refused before a file of the base is downloaded.
        Path cache = dir.resolve("small-cache");
        Publication publication = registry.publication;
        JobRunner small = new JobRunner(
                store,
                models,
                registry,
                new Checkpoints(store),
                publication,
                new ModelPublication(store, models, publication),
                config(cache),
                new MemoryPreflight(
                        true,
                        MemoryPreflight.DEFAULT_RUNTIME_BYTES,
                        OptionalLong.of(64L << 20),
                        dir.resolve("no-cgroup"),
                        () -> 1L << 40,
                        d -> 0));
        ResolvedJob job =
                admission.admit(spec("{\"jobId\":\"job-too-big\",\"kind\":\"domain_adaptation\",\"baseModel\":\"" + BASE
                        + "\",\"datasets\":{\"train\":\"" + NOTES + "\"},\"outputName\":\"too-big\","
                        + "\"optim\":{\"batchSize\":4,\"gradientAccumulation\":1,\"maxSteps\":1},\"device\":\"cpu\"}"));
        Unprocessable e = assertThrows(Unprocessable.class, () -> small.run(job, null, new Listener("job-too-big")));
        assertEquals("insufficient_memory", e.reason());
        assertTrue(
                e.getMessage().startsWith("trainer-svc cannot run job 'job-too-big': base model '" + BASE + "' ("),
                e.getMessage());
        assertTrue(
                e.getMessage()
                        .endsWith("but the memory limit (CLINLORA_MEMORY_LIMIT) is 0.1 GiB; submit it with"
                                + " \"precision\": \"fp16\", raise CLINLORA_MEMORY_LIMIT, or train a smaller model"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertFalse(Files.exists(cache.resolve("models")), "the base was not fetched");
        assertFalse(registry.requests.containsKey("too-big"));
    }

    static TrainerConfig config(Path cache) {
        return new TrainerConfig() {
            @Override
            public Path cacheDir() {
                return cache;
            }

            @Override
            public int maxQueued() {
                return 1;
            }

            @Override
            public boolean runJobs() {
                return true;
            }
        };
    }

    static JobSpec spec(String json) throws IOException {
        return JSON.readValue(json, JobSpec.class);
    }

    /** Records what the Trainer reports; checkpoints go to the store as the service's listener writes them. */
    static final class Listener implements Trainer.Listener {
        final String jobId;
        final List<Integer> steps = new ArrayList<>();
        final List<Integer> checkpoints = new ArrayList<>();
        final List<Trainer.EpochScore> epochs = new ArrayList<>();

        Listener(String jobId) {
            this.jobId = jobId;
        }

        @Override
        public void progress(Trainer.Progress p) {
            steps.add(p.step());
        }

        @Override
        public void checkpoint(int step, Map<String, NDArray> tensors) throws IOException {
            new Checkpoints(store).save(jobId, step, tensors);
            checkpoints.add(step);
        }

        @Override
        public boolean cancelled() {
            return false;
        }

        @Override
        public void epochScored(Trainer.EpochScore score) {
            epochs.add(score);
        }
    }

    /**
     * registry-svc in memory: a publication records the card it was handed and answers version 1 with the files staged
     * under its prefix; a download copies those staged files.
     */
    static final class FakeRegistry implements AdapterSource {
        final Map<String, PublishRequest> requests = new LinkedHashMap<>();
        final Map<String, AdapterCard> published = new LinkedHashMap<>();
        final Map<String, String> prefixes = new LinkedHashMap<>();
        final Publication publication = new Publication(null) {
            @Override
            public AdapterCard publish(String name, String sourcePrefix, PublishRequest card, String jobId) {
                requests.put(name, card);
                prefixes.put(name, sourcePrefix);
                AdapterCard c = card(name, card);
                published.put(name, c);
                return c;
            }

            @Override
            public Optional<AdapterCard> publishedBy(String name, String jobId) {
                return Optional.ofNullable(published.get(name))
                        .filter(c -> jobId.equals(c.trainingConfig().get("jobId")));
            }

            @Override
            public void withdraw(AdapterCard card) {
                published.remove(card.name());
            }
        };

        @Override
        public RegistryClient.Resolved resolve(AdapterRef ref) {
            AdapterCard c = published.get(ref.name());
            if (c == null) throw new RegistryClient.RegistryException(404, "no adapter " + ref.name());
            return new RegistryClient.Resolved(c.name(), c.version(), c, List.of(c));
        }

        @Override
        public Path download(AdapterCard card, Path target) throws IOException {
            Files.createDirectories(target);
            String prefix = prefixes.get(card.name());
            for (String key : store.list(prefix)) {
                Files.write(
                        target.resolve(key.substring(prefix.length())),
                        store.getBytes(key).orElseThrow());
            }
            return target;
        }

        private static AdapterCard card(String name, PublishRequest r) {
            return new AdapterCard(
                    AdapterCard.SCHEMA_VERSION,
                    name,
                    1,
                    r.task(),
                    r.labelNames() == null ? "CAUSAL_LM" : "SEQ_CLS",
                    r.labelNames(),
                    r.problemType(),
                    r.noteEncoding(),
                    new AdapterCard.BaseModel(
                            r.baseModelId(),
                            models.manifestSha256(r.baseModelId()).orElseThrow()),
                    r.parent(),
                    r.datasetIds(),
                    r.trainingConfig(),
                    r.metrics(),
                    Map.of(),
                    Instant.now().toString(),
                    r.publishedBy());
        }
    }

    interface Feed {
        void into(DatasetBuilder b) throws IOException;
    }

    /** A dataset in the store exactly as tokenizer-svc writes it. */
    static void build(Path model, String id, TaskKind kind, DatasetBuilder.LabelSpace labels, Feed feed)
            throws IOException {
        var settings = new DatasetBuilder.Settings(
                kind,
                32,
                NoteEncoding.Truncation.HEAD,
                NoteNormalizer.DEFAULT,
                0.2,
                0.2,
                0,
                128,
                BpeTokenizerBuilder.BOS_ID,
                BpeTokenizerBuilder.EOS_ID,
                BpeTokenizerBuilder.PAD_ID);
        try (DatasetBuilder b = new DatasetBuilder(
                id,
                settings,
                labels,
                model.resolve("tokenizer.json"),
                StoredDatasets.sink(store, StoreLayout.dataset(id)))) {
            feed.into(b);
            b.commit();
        }
    }

    static void add(DatasetBuilder b, String id, String subject, String text, List<String> labels) {
        try {
            b.add(id, subject, text, labels);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
