package org.clinlora.registry;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.clinlora.registry.versions.VersionClaims;
import org.jboss.logging.Logger;

/** Removes leftovers of interrupted publishes at start-up and then periodically. */
@ApplicationScoped
public class Janitor {
    private static final Logger LOG = Logger.getLogger(Janitor.class);

    private final VersionClaims claims;
    private final Duration olderThan;
    private final Duration every;
    private ScheduledExecutorService timer;

    public Janitor(VersionClaims claims, RegistryConfig config) {
        this.claims = claims;
        this.olderThan = config.leftoverAge();
        this.every = config.janitorInterval();
        if (every.toSeconds() < 1) throw new IllegalArgumentException("clinlora.registry.janitor-interval must be at least 1 s");
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
