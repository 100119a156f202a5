package org.clinlora.registry;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.clinlora.registry.versions.VersionClaims;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Removes leftovers of interrupted publishes at start-up and then periodically. Its two settings are read one by one,
 * not as a {@code @ConfigMapping} of {@code clinlora.registry.*}: that prefix also holds the platform's
 * {@code clinlora.registry.url} (this service's address, for its clients), which a mapping would refuse as unknown.
 */
@ApplicationScoped
public class Janitor {
    private static final Logger LOG = Logger.getLogger(Janitor.class);

    private final VersionClaims claims;
    private final Duration olderThan;
    private final Duration every;
    private ScheduledExecutorService timer;

    public Janitor(
            VersionClaims claims,
            @ConfigProperty(name = "clinlora.registry.leftover-age", defaultValue = "PT15M") Duration olderThan,
            @ConfigProperty(name = "clinlora.registry.janitor-interval", defaultValue = "PT10M") Duration every) {
        this.claims = claims;
        this.olderThan = olderThan;
        this.every = every;
        if (every.toSeconds() < 1)
            throw new IllegalArgumentException("clinlora.registry.janitor-interval must be at least 1 s");
    }

    void onStart(@Observes StartupEvent e) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "registry-janitor");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::run, 0, every.toSeconds(), TimeUnit.SECONDS);
    }

    void run() {
        try {
            int n = claims.cleanLeftovers(olderThan);
            if (n > 0) LOG.infof("removed %d interrupted publication(s)", n);
        } catch (RuntimeException ex) {
            LOG.warnf("janitor pass failed, will retry: %s", ex.getMessage());
        }
    }
}
