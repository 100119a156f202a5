package org.clinlora.registry.messaging;

import jakarta.enterprise.context.ApplicationScoped;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.events.KafkaEvents;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.jboss.logging.Logger;

/**
 * Emits registry events on {@code adapters.events}, keyed by adapter name (one partition order per adapter), after
 * the change they describe is durable in the store. The send is awaited so a caller learns of a broker outage.
 */
@ApplicationScoped
public class RegistryEvents {
    private static final Logger LOG = Logger.getLogger(RegistryEvents.class);

    private final Emitter<String> emitter;

    public RegistryEvents(@Channel("adapters-events") Emitter<String> emitter) {
        this.emitter = emitter;
    }

    public void emit(String adapterName, Event event) {
        Throwable failed = KafkaEvents.sendAndAwait(emitter, adapterName, event, 15);
        // The state change is already durable; the event is what is lost. Say so loudly for operators.
        if (failed != null) LOG.errorf("event %s %s for adapter %s was not acknowledged by Kafka: %s", event.type(), event.eventId(), adapterName, failed.toString());
    }
}
