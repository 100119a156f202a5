package org.clinlora.scorer.scoring;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The scorer's settings without a Quarkus application, for unit tests of its parts. */
record TestScorerConfig(Optional<String> baseModel, Path cacheDir, int maxTokens, long adapterCacheMb)
        implements ScorerConfig {
    @Override
    public String device() {
        return "cpu";
    }

    @Override
    public String precision() {
        return "fp32";
    }

    @Override
    public boolean loadAtStart() {
        return false;
    }

    @Override
    public int maxBatchRows() {
        return 32;
    }

    @Override
    public Duration maxWait() {
        return Duration.ofMillis(5);
    }

    @Override
    public int queueRows() {
        return 512;
    }

    @Override
    public Duration aliasTtl() {
        return Duration.ofSeconds(30);
    }
}
