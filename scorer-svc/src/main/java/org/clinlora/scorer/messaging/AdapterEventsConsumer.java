package org.clinlora.scorer.messaging;

import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.clinlora.core.events.AliasMoved;
import org.clinlora.core.events.Event;
import org.clinlora.core.events.Events;
import org.clinlora.scorer.scoring.ScoringEngine;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/** adapters.events → hot swap: an AliasMoved preloads the new version, then the alias switches (ScoringEngine). */
@ApplicationScoped
public class AdapterEventsConsumer {
    private static final Logger LOG = Logger.getLogger(AdapterEventsConsumer.class);

    private final ScoringEngine engine;

    public AdapterEventsConsumer(ScoringEngine engine) {
        this.engine = engine;
    }

    @Incoming("adapters-events")
    @Blocking
    public void consume(String record) {
        Event e;
        try {
            e = Events.parse(record);
        } catch (IllegalArgumentException ex) {
            LOG.warnf("adapters.events: skipped a record: %s", ex.getMessage());  // not ours to dead-letter: the registry owns this topic
            return;
        }
        if (e instanceof AliasMoved m) engine.aliasMoved(m.name(), m.alias(), m.version());
    }
}
