package org.clinlora.trainer.jobs;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;

/** {@code clinlora.trainer.*} (the table in trainer-svc/README.md). */
@ConfigMapping(prefix = "clinlora.trainer")
public interface TrainerConfig {
    /** Base models, parent adapters and datasets on local disk, verified before use. */
    Path cacheDir();

    /** Jobs that may wait before new ones get 429. */
    @WithDefault("16")
    int maxQueued();

    /**
     * Whether this process runs jobs (a worker: claims jobs, runs them on its device, recovers unowned ones). False is
     * the API role: it admits jobs, writes their records and answers REST, and never runs one (no GPU needed); workers
     * elsewhere take the jobs from the store.
     */
    @WithDefault("true")
    boolean runJobs();
}
