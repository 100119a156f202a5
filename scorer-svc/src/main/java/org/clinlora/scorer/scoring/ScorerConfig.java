package org.clinlora.scorer.scoring;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** {@code clinlora.scorer.*}: what the scorer serves and how it batches (the table in scorer-svc/README.md). */
@ConfigMapping(prefix = "clinlora.scorer")
public interface ScorerConfig {
    /**
     * The base model (an id in the store's {@code models/}) this process serves; absent, the first adapter scored binds
     * it to that adapter's base (BaseModelBinding).
     */
    Optional<String> baseModel();

    /**
     * With a base model configured: fetch, verify, check (memory preflight) and load it at start, in the background,
     * readiness DOWN until it is loaded ({@link BaseModelLoader}); false loads it on the first request instead.
     */
    @WithDefault("true")
    boolean loadAtStart();

    @WithDefault("cpu")
    String device();

    @WithDefault("fp32")
    String precision();

    /** Local copies of the base model, adapters and datasets. */
    Path cacheDir();

    /**
     * Rows of adapters whose card does not say how notes became rows are cut to this many tokens, {@code <s>} included.
     */
    @WithDefault("128")
    int maxTokens();

    /** A batch gathers up to this many rows across tasks… */
    @WithDefault("32")
    int maxBatchRows();

    /** …waiting at most this long after its first request. */
    @WithDefault("PT0.005S")
    Duration maxWait();

    /** At most this many rows wait; beyond, 429 with Retry-After. */
    @WithDefault("512")
    int queueRows();

    /** Resident adapters beyond this are evicted, least recently used first. */
    @WithDefault("512")
    long adapterCacheMb();

    /** An alias resolution is reused this long unless an AliasMoved event changes it sooner. */
    @WithDefault("PT30S")
    Duration aliasTtl();

    /** Fails start-up on settings that cannot work. */
    static void validate(ScorerConfig c) {
        if (c.maxTokens() < 2) throw new IllegalArgumentException("clinlora.scorer.max-tokens must be at least 2");
        if (c.maxBatchRows() < 1)
            throw new IllegalArgumentException("clinlora.scorer.max-batch-rows must be at least 1");
        if (c.queueRows() < c.maxBatchRows())
            throw new IllegalArgumentException("clinlora.scorer.queue-rows must be at least max-batch-rows");
        if (c.adapterCacheMb() < 1)
            throw new IllegalArgumentException("clinlora.scorer.adapter-cache-mb must be at least 1");
        if (c.maxWait().isNegative() || c.aliasTtl().isNegative())
            throw new IllegalArgumentException("clinlora.scorer durations must not be negative");
    }
}
