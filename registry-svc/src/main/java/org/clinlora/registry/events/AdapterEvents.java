package org.clinlora.registry.events;

import jakarta.inject.Singleton;
import org.clinlora.platform.events.OutboxEvents;
import org.clinlora.platform.store.BlobStore;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;

/**
 * {@code AdapterPublished}, {@code AliasMoved} and {@code AdapterDeleted} on {@code adapters.events}, keyed by adapter
 * name (one partition order per adapter), announced through the store's outbox once the change they describe is
 * durable: a change made while Kafka is down is announced when it is back; consumers are idempotent by {@code eventId}.
 */
@Singleton
public class AdapterEvents extends OutboxEvents {
    public AdapterEvents(@Channel("adapters-events") Emitter<String> emitter, BlobStore store) {
        super(store, "registry-svc", "adapters.events", emitter);
    }
}
