package org.clinlora.scorer.scoring;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.MemoryEstimate;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.memory.MemoryPreflight;
import org.clinlora.platform.store.ModelStore;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * The frozen base model this process serves and its tokenizer, checked against the memory there is
 * ({@link MemoryPreflight}), fetched from the store (verified) and loaded — at start by {@link BaseModelLoader} when a
 * base model is configured, else on first use; and how a task's notes become rows — exactly as its adapter's training
 * rows were made ({@link NoteEncoding} from the card), so training and serving never see a note differently.
 */
@ApplicationScoped
public class ScoringModel {
    private static final Logger LOG = Logger.getLogger(ScoringModel.class);
    /** The reason of the 503 a request gets while a model that does not fit is refused (lazy loading). */
    public static final String TOO_LARGE = "base_model_too_large";
    /** The reason of the 503 a request gets while the configured base model is still being loaded at start. */
    public static final String LOADING = "base_model_loading";

    private final ModelStore models;
    private final BaseModelBinding base;
    private final Compute compute;
    private final Path cacheDir;
    private final int maxTokens;
    private final MemoryPreflight memory;
    private final AtomicBoolean refusalLogged = new AtomicBoolean();
    /** Set by {@link BaseModelLoader} while it loads the configured base at start: requests get 503 until then. */
    private volatile boolean loadingAtStart;

    private volatile BaseModel model;
    private volatile ClinicalTokenizer tokenizer;
    private volatile BaseModelConfig config;

    @Inject
    public ScoringModel(ModelStore models, BaseModelBinding base, ScorerConfig config, Config settings) {
        this(models, base, config, MemoryPreflight.fromConfig(k -> settings.getOptionalValue(k, String.class)));
    }

    /** Without a memory preflight (the unit tests' scorers). */
    public ScoringModel(ModelStore models, BaseModelBinding base, ScorerConfig config) {
        this(models, base, config, MemoryPreflight.disabled());
    }

    public ScoringModel(ModelStore models, BaseModelBinding base, ScorerConfig config, MemoryPreflight memory) {
        this(
                models,
                base,
                Compute.parse(config.device(), config.precision()),
                config.cacheDir(),
                config.maxTokens(),
                memory);
        ScorerConfig.validate(config);
    }

    public ScoringModel(
            ModelStore models,
            BaseModelBinding base,
            Compute compute,
            Path cacheDir,
            int maxTokens,
            MemoryPreflight memory) {
        this.models = models;
        this.base = base;
        this.compute = compute;
        this.cacheDir = cacheDir;
        this.maxTokens = maxTokens;
        this.memory = memory;
    }

    void onStop(@Observes ShutdownEvent e) {
        BaseModel m = model;
        if (m != null) m.close();
    }

    /** The base model served (bound by the first task resolved, or configured). */
    public String baseModelId() {
        return base.current()
                .orElseThrow(() -> new Unavailable(
                        "base_model_unavailable",
                        "this scorer serves no base model yet; it binds to the base of the first adapter it scores"));
    }

    public Compute compute() {
        return compute;
    }

    /** The base model's config, read from the store without loading its weights (for request checks). */
    public BaseModelConfig config() {
        BaseModelConfig c = config;
        if (c != null) return c;
        c = models.config(baseModelId()).orElseThrow(this::unavailable);
        config = c;
        return c;
    }

    /**
     * The loaded model; the first call fetches and loads it (503 when it is not in the store, or does not fit). While
     * the configured base is loaded at start, 503 ({@link #LOADING}) until it is there.
     */
    public BaseModel model() {
        BaseModel m = model;
        if (m != null) return m;
        if (loadingAtStart)
            throw new Unavailable(
                    LOADING, "this scorer is still loading its base model '" + baseModelId() + "'; retry shortly");
        return load();
    }

    /** Whether the base model is loaded (the gauge clinlora_scorer_model_loaded). */
    public boolean loaded() {
        return model != null;
    }

    /** Whether the bound (or configured) base model has a complete copy in the store. */
    public boolean inStore() {
        return models.manifestSha256(baseModelId()).isPresent();
    }

    /** The start-up load ({@link BaseModelLoader}): requests get 503 until it has loaded the model. */
    void loadingAtStart(boolean on) {
        loadingAtStart = on;
    }

    /** Loads the model now, on the caller's thread (the start-up loader); what {@link #model()} does otherwise. */
    BaseModel loadNow() {
        return load();
    }

    public ClinicalTokenizer tokenizer() {
        model();
        return tokenizer;
    }

    /**
     * How the task's notes become rows: its card's encoding, else the defaults with this scorer's max-tokens and the
     * base's special tokens (LLaMA: {@code <s>} in front; BERT: {@code [CLS]} … {@code [SEP]}).
     */
    public NoteEncoding encodingFor(ScoringTask task) {
        if (task.noteEncoding() != null) return task.noteEncoding();
        return NoteEncoding.defaults(maxTokens, config().specialIds(tokenizer()));
    }

    private synchronized BaseModel load() {
        if (model != null) return model;
        long t0 = System.nanoTime();
        try {
            String baseModelId = baseModelId();
            preflight(baseModelId, models.config(baseModelId).orElseThrow(this::unavailable));
            Path dir = models.fetchModelDir(baseModelId, cacheDir.resolve("models"));
            double fetched = (System.nanoTime() - t0) / 1e9;
            tokenizer = ClinicalTokenizer.load(dir);
            BaseModel m = BaseModel.load(dir, compute);
            config = m.config();
            model = m;
            LOG.infof(
                    "base model %s ready in %.1f s (every file sha256-checked when first fetched; cached in %s), loaded on %s (%s) in %.1f s",
                    baseModelId,
                    fetched,
                    dir,
                    compute.device(),
                    compute.dtype(),
                    (System.nanoTime() - t0) / 1e9 - fetched);
            return m;
        } catch (IllegalArgumentException e) {
            throw unavailable();
        } catch (IOException e) {
            throw new Unavailable(
                    "base_model_unavailable",
                    "the scorer's base model '" + baseModelId() + "' could not be loaded: " + e.getMessage());
        }
    }

    /**
     * Before a byte of the weights is fetched: the estimate against the container's limit or the GPU's free memory, at
     * the scoring batch the deployment formula assumes (8 notes of 512 tokens). Does not fit: 503 {@link #TOO_LARGE}
     * with the one-line refusal (logged once here when loading on first use; the start-up loader logs it and exits).
     */
    private void preflight(String id, BaseModelConfig c) {
        Compute.Precision precision = compute.half() ? Compute.Precision.FP16 : Compute.Precision.FP32;
        Optional<String> refused = memory.check(new MemoryPreflight.Subject(
                loadingAtStart ? "scorer-svc refuses to start" : "scorer-svc refuses to load its base model",
                id,
                c,
                precision,
                compute.device(),
                MemoryPreflight.SERVING_ROWS,
                MemoryPreflight.SERVING_SEQ_LEN,
                "set CLINLORA_SCORER_PRECISION=fp16",
                "serve a smaller model"));
        if (refused.isPresent()) {
            if (!loadingAtStart && refusalLogged.compareAndSet(false, true)) LOG.error(refused.get());
            throw new Unavailable(TOO_LARGE, refused.get());
        }
        if (memory.enabled()) {
            MemoryEstimate e =
                    memory.estimate(c, precision, MemoryPreflight.SERVING_ROWS, MemoryPreflight.SERVING_SEQ_LEN);
            boolean gpu = compute.device().isGpu();
            LOG.infof(
                    "memory preflight: base model %s fits: about %s on %s (%s); host: %s is %s",
                    id,
                    MemoryEstimate.gib(gpu ? e.deviceBytes() : e.hostBytes()),
                    MemoryPreflight.deviceName(compute.device()),
                    e.describe(),
                    memory.hostAvailable().what(),
                    MemoryEstimate.gib(memory.hostAvailable().bytes()));
        }
    }

    private Unavailable unavailable() {
        return new Unavailable(
                "base_model_unavailable", "the scorer's base model '" + baseModelId() + "' is not in the object store");
    }
}
