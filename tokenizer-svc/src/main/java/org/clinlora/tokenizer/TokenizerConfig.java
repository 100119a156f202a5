package org.clinlora.tokenizer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;

/** {@code clinlora.tokenizer.*} (the table in tokenizer-svc/README.md). */
@ConfigMapping(prefix = "clinlora.tokenizer")
public interface TokenizerConfig {
    /** Local copies of the base models' tokenizer.json, verified against their manifests. */
    Path cacheDir();

    /** Dataset builds that may wait or run before new ones get 429. */
    @WithDefault("64")
    int maxPendingBuilds();
}
