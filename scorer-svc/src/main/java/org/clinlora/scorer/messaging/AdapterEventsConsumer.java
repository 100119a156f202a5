package org.clinlora.scorer.messaging;

import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.clinlora.platform.events.AdapterDeleted;
import org.clinlora.platform.events.AliasMoved;
import org.clinlora.platform.events.CloudEvents;
import org.clinlora.platform.events.Event;
import org.clinlora.scorer.scoring.ScoringService;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * adapters.events → hot swap: an AliasMoved preloads the new version, then the alias switches; an AdapterDeleted stops
 * the version being served. A record that is not an event goes to adapters.events.dlq with the reason (the failure
 * strategy in application.properties), and the consumer goes on with the next. Events are CloudEvents
 * ({@code org.clinlora.alias.moved}, {@code org.clinlora.adapter.deleted}) or, for one release, today's envelope.
 */
@ApplicationScoped
public class AdapterEventsConsumer {
    private final ScoringService engine;

    public AdapterEventsConsumer(ScoringService engine) {
        this.engine = engine;
    }

    @Incoming("adapters-events")
    @Blocking
    public void consume(ConsumerRecord<String, String> record) {
        // IllegalArgumentException naming the field → nack → dead-letter topic
        Event e = CloudEvents.read(record.headers(), record.value());
        if (e instanceof AliasMoved m) engine.aliasMoved(m.name(), m.alias(), m.version());
        else if (e instanceof AdapterDeleted d) engine.adapterDeleted(d.name(), d.version());
    }
}
