package org.clinlora.tokenizer.tokenize;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.base.SpecialIds;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.tokenizer.TokenizerConfig;
import org.jboss.logging.Logger;

/**
 * Base models' own tokenizers, from {@code models/{id}/tokenizer.json} in the object store, verified against the
 * model's manifest and loaded once per process.
 */
@ApplicationScoped
public class Tokenizers {
    /**
     * A model's loaded tokenizer, the verified tokenizer.json it came from (and its sha256), the special ids its rows
     * are built with, and whether the model is a causal LM (LLaMA) or an encoder (BERT).
     */
    public record Loaded(
            ClinicalTokenizer tokenizer,
            Path file,
            String sha256,
            SpecialIds ids,
            String modelType,
            boolean causalLm) {}

    private final ModelStore models;
    private final Path cacheDir;
    private final Map<String, Loaded> loaded = new ConcurrentHashMap<>();
    /** Dataset builds using a loaded tokenizer now: {@link #close} never frees one under them. */
    private final AtomicInteger builds = new AtomicInteger();

    private static final Logger LOG = Logger.getLogger(Tokenizers.class);
    private static final long CLOSE_WAIT_MILLIS = 10_000;

    /** Held by a dataset build while it uses a loaded tokenizer. */
    public interface Lease extends AutoCloseable {
        @Override
        void close();
    }

    public Tokenizers(ModelStore models, TokenizerConfig config) {
        this.models = models;
        this.cacheDir = config.cacheDir();
    }

    /** The model's tokenizer; 400 for a malformed id, 404 for a model not in the store. */
    public Loaded get(String modelId) {
        try {
            StoreLayout.requireName(modelId);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest("model: " + e.getMessage());
        }
        return loaded.computeIfAbsent(modelId, id -> {
            try {
                if (models.manifestSha256(id).isEmpty())
                    throw new NotFound("unknown model '" + id + "' (no models/" + id + "/ in the object store)");
                BaseModelConfig c =
                        models.config(id).orElseThrow(() -> new NotFound("model '" + id + "' has no config.json"));
                Path file = models.fetchVerified(id, "tokenizer.json", cacheDir);
                ClinicalTokenizer tokenizer = ClinicalTokenizer.load(file);
                try {
                    return new Loaded(
                            tokenizer, file, Sha256.of(file), c.specialIds(tokenizer), c.modelType(), c.causalLm());
                } catch (IllegalArgumentException e) {
                    tokenizer.close();
                    throw new Unprocessable("invalid_tokenizer", "model '" + id + "': " + e.getMessage());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Marks a dataset build as using the loaded tokenizers until the lease is closed. */
    public Lease lease() {
        builds.incrementAndGet();
        return builds::decrementAndGet;
    }

    /**
     * Frees the native tokenizers once no build uses them (a build on the worker thread does not stop when the service
     * does); one still running after {@value #CLOSE_WAIT_MILLIS} ms keeps them, and the process's exit frees them.
     */
    @PreDestroy
    void close() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
        while (builds.get() > 0 && System.nanoTime() < deadline) {
            try {
                TimeUnit.MILLISECONDS.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (builds.get() > 0) {
            LOG.warn("a dataset build still uses the tokenizers at shutdown: they are left to the process's exit");
            return;
        }
        loaded.values().forEach(l -> l.tokenizer().close());
    }
}
