package org.clinlora.tokenizer.tokenize;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.clinlora.core.api.ApiException;
import org.clinlora.core.io.Sha256;
import org.clinlora.core.store.ModelStore;
import org.clinlora.core.store.ObjectStore;
import org.clinlora.core.store.S3Settings;
import org.clinlora.core.store.StoreLayout;
import org.clinlora.core.text.ClinicalTokenizer;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Base models' own tokenizers, from {@code models/{id}/tokenizer.json} in the object store, verified against the
 * model's manifest and loaded once per process.
 */
@ApplicationScoped
public class Tokenizers {
    /** A loaded tokenizer and the sha256 of the tokenizer.json it came from. */
    public record Loaded(ClinicalTokenizer tokenizer, String sha256) {}

    private final ModelStore models;
    private final Path cacheDir;
    private final Map<String, Loaded> loaded = new ConcurrentHashMap<>();

    public Tokenizers(Config config, @ConfigProperty(name = "clinlora.tokenizer.cache-dir") Path cacheDir) {
        this.models = new ModelStore(new ObjectStore(S3Settings.fromConfig(k -> config.getOptionalValue(k, String.class))));
        this.cacheDir = cacheDir;
    }

    public Loaded get(String modelId) {
        try {
            StoreLayout.requireName(modelId);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("model: " + e.getMessage());
        }
        return loaded.computeIfAbsent(modelId, id -> {
            try {
                if (models.manifestSha256(id).isEmpty()) throw ApiException.notFound("unknown model '" + id + "' (no models/" + id + "/ in the object store)");
                Path file = models.fetchVerified(id, "tokenizer.json", cacheDir);
                return new Loaded(ClinicalTokenizer.load(file), Sha256.of(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @PreDestroy
    void close() {
        loaded.values().forEach(l -> l.tokenizer().close());
    }
}
