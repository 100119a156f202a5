package org.clinlora.scorer.messaging;

import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.clinlora.platform.events.AdapterDeleted;
import org.clinlora.platform.events.AliasMoved;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.events.Events;
import org.clinlora.scorer.scoring.ScoringService;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * adapters.events → hot swap: an AliasMoved preloads the new version, then the alias switches; an AdapterDeleted stops
 * the version being served. A record that is not an event goes to adapters.events.dlq with the reason (the failure
 * strategy in application.properties), and the consumer goes on with the next.
 */
@ApplicationScoped
public class AdapterEventsConsumer {
    private final ScoringService engine;

    public AdapterEventsConsumer(ScoringService engine) {
        this.engine = engine;
    }

    @Incoming("adapters-events")
    @Blocking
    public void consume(String record) {
        Event e = Events.parse(record); // IllegalArgumentException naming the field → nack → dead-letter topic
        if (e instanceof AliasMoved m) engine.aliasMoved(m.name(), m.alias(), m.version());
        else if (e instanceof AdapterDeleted d) engine.adapterDeleted(d.name(), d.version());
    }
}
