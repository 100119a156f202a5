package org.clinlora.registry.messaging;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.events.KafkaEvents;
import org.clinlora.platform.events.Outbox;
import org.clinlora.platform.store.RetryingStore;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.jboss.logging.Logger;

/**
 * Registry events on {@code adapters.events}, keyed by adapter name (one partition order per adapter), announced at
 * least once: each is recorded in the store's outbox after the change it describes is durable, then relayed to Kafka
 * (at once, every few seconds, and at start-up) until the broker acknowledges it. A change made while Kafka is down is
 * announced when it is back; consumers are idempotent by {@code eventId}.
 */
@ApplicationScoped
public class RegistryEvents {
    private static final Logger LOG = Logger.getLogger(RegistryEvents.class);
    static final long RELAY_EVERY_SECONDS = 5;
    /** Longer than the producer's delivery.timeout.ms (application.properties): the wait ends with Kafka's verdict. */
    static final long ACK_WAIT_SECONDS = 40;

    private final Outbox outbox;
    private final ScheduledExecutorService relayThread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "adapters-events-relay");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean failing;

    public RegistryEvents(@Channel("adapters-events") Emitter<String> emitter, RetryingStore store) {
        this.outbox = new Outbox(store, "registry-svc", "adapters.events", (key, event) -> KafkaEvents.sendAndAwait(emitter, key, event, ACK_WAIT_SECONDS));
    }

    void onStart(@Observes StartupEvent e) {
        relayThread.scheduleWithFixedDelay(this::relay, 0, RELAY_EVERY_SECONDS, TimeUnit.SECONDS);
    }

    void onStop(@Observes ShutdownEvent e) {
        relayThread.shutdownNow();
    }

    /** Records the event (durable when this returns) and relays it without making the caller wait for Kafka. */
    public void emit(String adapterName, Event event) {
        outbox.record(adapterName, event);
        relayThread.execute(this::relay);
    }

    /** Events recorded and not yet acknowledged by Kafka. */
    public int pending() {
        return outbox.pending();
    }

    private void relay() {
        try {
            Outbox.Relayed r = outbox.relay();
            if (r.failure() != null && !failing) {
                LOG.warnf("adapters.events: Kafka did not acknowledge an event (%s); %d event(s) kept in the outbox and retried every %d s",
                        r.failure().getClass().getSimpleName(), r.pending(), RELAY_EVERY_SECONDS);
            } else if (r.failure() == null && failing) {
                LOG.infof("adapters.events: Kafka acknowledges again; the outbox is empty (%d sent now)", r.sent());
            }
            failing = r.failure() != null;
        } catch (RuntimeException ex) {
            LOG.errorf("adapters.events relay: %s", ex.toString());
        }
    }
}
