package org.clinlora.scorer.messaging;

import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.clinlora.core.events.AliasMoved;
import org.clinlora.core.events.Event;
import org.clinlora.core.events.Events;
import org.clinlora.scorer.scoring.ScoringEngine;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * adapters.events → hot swap: an AliasMoved preloads the new version, then the alias switches (ScoringEngine). A
 * record that is not an event goes to adapters.events.dlq with the reason (the failure strategy in
 * application.properties), and the consumer goes on with the next.
 */
@ApplicationScoped
public class AdapterEventsConsumer {
    private final ScoringEngine engine;

    public AdapterEventsConsumer(ScoringEngine engine) {
        this.engine = engine;
    }

    @Incoming("adapters-events")
    @Blocking
    public void consume(String record) {
        Event e = Events.parse(record);  // IllegalArgumentException naming the field → nack → dead-letter topic
        if (e instanceof AliasMoved m) engine.aliasMoved(m.name(), m.alias(), m.version());
    }
}
