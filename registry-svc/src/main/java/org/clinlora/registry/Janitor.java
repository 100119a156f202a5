package org.clinlora.registry;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** Removes leftovers of interrupted publishes at start-up and then periodically. */
@ApplicationScoped
public class Janitor {
    private static final Logger LOG = Logger.getLogger(Janitor.class);

    private final AdapterRegistry registry;
    private final Duration olderThan;
    private final Duration every;
    private ScheduledExecutorService timer;

    public Janitor(AdapterRegistry registry,
                   @ConfigProperty(name = "clinlora.registry.leftover-age", defaultValue = "PT15M") Duration olderThan,
                   @ConfigProperty(name = "clinlora.registry.janitor-interval", defaultValue = "PT10M") Duration every) {
        this.registry = registry;
        this.olderThan = olderThan;
        this.every = every;
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
            int n = registry.cleanLeftovers(olderThan);
            if (n > 0) LOG.infof("removed %d interrupted publication(s)", n);
        } catch (RuntimeException ex) {
            LOG.warnf("janitor pass failed, will retry: %s", ex.getMessage());
        }
    }
}
