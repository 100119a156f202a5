package org.clinlora.scorer.scoring;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Path;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.base.Compute;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.store.ModelStore;
import org.jboss.logging.Logger;

/**
 * The frozen base model this process serves and its tokenizer, fetched from the store (verified) and loaded on first
 * use; and how a task's notes become rows — exactly as its adapter's training rows were made ({@link NoteEncoding} from
 * the card), so training and serving never see a note differently.
 */
@ApplicationScoped
public class ScoringModel {
    private static final Logger LOG = Logger.getLogger(ScoringModel.class);

    private final ModelStore models;
    private final BaseModelBinding base;
    private final Compute compute;
    private final Path cacheDir;
    private final int maxTokens;
    private volatile BaseModel model;
    private volatile ClinicalTokenizer tokenizer;
    private volatile BaseModelConfig config;

    @Inject
    public ScoringModel(ModelStore models, BaseModelBinding base, ScorerConfig config) {
        this(models, base, Compute.parse(config.device(), config.precision()), config.cacheDir(), config.maxTokens());
        ScorerConfig.validate(config);
    }

    public ScoringModel(ModelStore models, BaseModelBinding base, Compute compute, Path cacheDir, int maxTokens) {
        this.models = models;
        this.base = base;
        this.compute = compute;
        this.cacheDir = cacheDir;
        this.maxTokens = maxTokens;
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

    /** The loaded model; the first call fetches and loads it (503 when it is not in the store). */
    public BaseModel model() {
        BaseModel m = model;
        return m != null ? m : load();
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

    private Unavailable unavailable() {
        return new Unavailable(
                "base_model_unavailable", "the scorer's base model '" + baseModelId() + "' is not in the object store");
    }
}
