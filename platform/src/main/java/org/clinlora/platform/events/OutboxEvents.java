package org.clinlora.platform.events;

import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Shutdown;
import jakarta.enterprise.event.Startup;
import org.clinlora.platform.store.BlobStore;
import org.eclipse.microprofile.reactive.messaging.Emitter;

/**
 * A service's events on one topic, announced at least once through the store's outbox ({@link OutboxRelay}) after the
 * change they describe is durable: an event recorded while Kafka is down is sent when it is back, and what an earlier
 * process left is sent at start-up; consumers are idempotent by {@code eventId} (the CloudEvents {@code id}). Each goes
 * out as a CloudEvent from {@code /clinlora/<service>} ({@link CloudEvents}). A service's subclass is a
 * {@code @Singleton} bean that only names its channel and topic; the relay starts and stops with the application.
 */
public abstract class OutboxEvents {
    private final OutboxRelay relay;

    protected OutboxEvents(BlobStore store, String service, String topic, Emitter<String> emitter) {
        this.relay = OutboxRelay.onKafka(store, service, topic, emitter);
    }

    void onStart(@Observes Startup e) {
        relay.start();
    }

    void onStop(@Observes Shutdown e) {
        relay.close();
    }

    /** Records {@code event} under {@code key} (durable when this returns) and sends it in the background. */
    public void announce(String key, Event event) {
        relay.announce(key, event);
    }

    /** Events recorded and not yet acknowledged by Kafka. */
    public int pending() {
        return relay.pending();
    }
}
