package org.clinlora.platform.events;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.clinlora.platform.store.BlobStore;
import org.eclipse.microprofile.reactive.messaging.Emitter;

/**
 * A service's events announced at least once (see {@link Outbox}): {@link #announce} records an event and relays it
 * without making the caller wait for Kafka; a background thread relays what is still recorded every few seconds, and at
 * once when started (what a previous process could not send).
 */
public final class OutboxRelay implements AutoCloseable {
    /** Relay period: the longest an event recorded during an outage waits once Kafka is back (plus the ack wait). */
    public static final long EVERY_SECONDS = 5;
    /**
     * How long one send waits for the broker's verdict: longer than SmallRye's own horizon for a record — a first
     * attempt that may block {@code max.block.ms} (10 s) for metadata, then re-sends until {@code delivery.timeout.ms}
     * (30 s) has passed (each service's application.properties) — so an event is re-sent only when the producer gave up
     * on it. With 40 s against 20 + 30 s, a record SmallRye was still retrying when the broker came back was delivered
     * twice.
     */
    public static final long ACK_WAIT_SECONDS = 60;

    private static final System.Logger LOG = System.getLogger(OutboxRelay.class.getName());
    private final Outbox outbox;
    private final String topic;
    private final ScheduledExecutorService thread;
    private volatile boolean failing;

    public OutboxRelay(Outbox outbox, String topic) {
        this.outbox = outbox;
        this.topic = topic;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, topic + "-relay");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A service's relay to a topic through its SmallRye Kafka emitter, each event a CloudEvent from
     * {@code /clinlora/<service>} whose id is its recorded event id (a re-send is the same event), each send waiting
     * for the broker's verdict.
     */
    public static OutboxRelay onKafka(BlobStore store, String service, String topic, Emitter<String> emitter) {
        return new OutboxRelay(
                new Outbox(
                        store,
                        service,
                        topic,
                        (key, event) -> KafkaEvents.sendAndAwait(emitter, service, key, event, ACK_WAIT_SECONDS)),
                topic);
    }

    /** Relays what earlier processes left, then every {@link #EVERY_SECONDS}. */
    public void start() {
        thread.scheduleWithFixedDelay(this::relay, 0, EVERY_SECONDS, TimeUnit.SECONDS);
    }

    /** Records the event (durable when this returns) and relays it in the background. */
    public void announce(String key, Event event) {
        outbox.record(key, event);
        thread.execute(this::relay);
    }

    /** Events recorded and not yet acknowledged. */
    public int pending() {
        return outbox.pending();
    }

    private void relay() {
        try {
            Outbox.Relayed r = outbox.relay();
            if (r.failure() != null && !failing) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "{0}: Kafka did not acknowledge an event ({1}); {2} event(s) kept in the outbox, retried every {3} s",
                        topic,
                        r.failure().getClass().getSimpleName(),
                        r.pending(),
                        EVERY_SECONDS);
            } else if (r.failure() == null && failing) {
                LOG.log(
                        System.Logger.Level.INFO,
                        "{0}: Kafka acknowledges again; {1} event(s) from the outbox sent",
                        topic,
                        r.sent());
            }
            failing = r.failure() != null;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "{0} relay: {1}", topic, e.toString());
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
