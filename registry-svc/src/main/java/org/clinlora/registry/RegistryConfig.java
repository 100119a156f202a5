package org.clinlora.registry;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** {@code clinlora.registry.*} (the table in registry-svc/README.md). */
@ConfigMapping(prefix = "clinlora.registry")
public interface RegistryConfig {
    /** An unfinished publication (a claim without a card) older than this is removed by the janitor. */
    @WithDefault("PT15M")
    Duration leftoverAge();

    /** How often the janitor runs (and once at start-up). */
    @WithDefault("PT10M")
    Duration janitorInterval();
}
