package org.clinlora.registry.messaging;

import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.TimeUnit;
import org.clinlora.core.events.Event;
import org.clinlora.core.events.Events;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
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
        Message<String> m = Message.of(Events.toJson(event))
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(adapterName).build());
        java.util.concurrent.CompletableFuture<Void> acked = new java.util.concurrent.CompletableFuture<>();
        emitter.send(m.withAck(() -> {
            acked.complete(null);
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }).withNack(t -> {
            acked.completeExceptionally(t);
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }));
        try {
            acked.get(15, TimeUnit.SECONDS);
        } catch (Exception e) {
            // The state change is already durable; the event is what is lost. Say so loudly for operators.
            LOG.errorf("event %s %s for adapter %s was not acknowledged by Kafka: %s", event.type(), event.eventId(), adapterName, e.toString());
        }
    }
}
