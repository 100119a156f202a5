package org.clinlora.registry.messaging;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.events.OutboxRelay;
import org.clinlora.platform.store.RetryingStore;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;

/**
 * Registry events on {@code adapters.events}, keyed by adapter name (one partition order per adapter), announced at
 * least once through the store's outbox ({@link OutboxRelay}) after the change they describe is durable: a change
 * made while Kafka is down is announced when it is back; consumers are idempotent by {@code eventId}.
 */
@ApplicationScoped
public class RegistryEvents {
    private final OutboxRelay relay;

    public RegistryEvents(@Channel("adapters-events") Emitter<String> emitter, RetryingStore store) {
        this.relay = OutboxRelay.onKafka(store, "registry-svc", "adapters.events", emitter);
    }

    void onStart(@Observes StartupEvent e) {
        relay.start();
    }

    void onStop(@Observes ShutdownEvent e) {
        relay.close();
    }

    public void emit(String adapterName, Event event) {
        relay.announce(adapterName, event);
    }

    /** Events recorded and not yet acknowledged by Kafka. */
    public int pending() {
        return relay.pending();
    }
}
