package org.clinlora.platform.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.clinlora.testing.InMemoryBlobStore;
import org.junit.jupiter.api.Test;

/**
 * Events that Kafka does not acknowledge stay recorded and go out, once each and in order, when it acknowledges again —
 * also from a new process over the same store (a restarted service).
 */
class OutboxTest {

    /** A broker that is down until told otherwise, recording what it acknowledged. */
    static final class Broker implements Outbox.Sender {
        final List<String> acknowledged = new ArrayList<>();
        boolean down;

        @Override
        public Throwable send(String key, Event event) {
            if (down) return new IOException("broker down");
            acknowledged.add(key + ":" + ((AliasMoved) event).version() + ":" + event.eventId());
            return null;
        }
    }

    @Test
    void changesMadeWhileKafkaIsDownAreAnnouncedOnceEachInOrderWhenItIsBack() {
        InMemoryBlobStore store = new InMemoryBlobStore();
        Broker broker = new Broker();
        Outbox outbox = new Outbox(store, "registry-svc", "adapters.events", broker);

        AliasMoved first = AliasMoved.of("los", "production", 1, null);
        outbox.record("los", first);
        assertEquals(new Outbox.Relayed(1, 0, null), outbox.relay());

        broker.down = true;
        List<AliasMoved> during = List.of(
                AliasMoved.of("los", "production", 2, 1),
                AliasMoved.of("los", "production", 3, 2),
                AliasMoved.of("mor", "staging", 1, null));
        for (AliasMoved e : during) {
            outbox.record(e.name(), e);
            Outbox.Relayed r = outbox.relay();
            assertNotNull(r.failure(), "not acknowledged while the broker is down");
            assertEquals(0, r.sent());
        }
        assertEquals(3, outbox.pending(), "every change made during the outage is kept");

        broker.down = false;
        // A restarted service: a new outbox over the same store finds what the old one could not send.
        Outbox afterRestart = new Outbox(store, "registry-svc", "adapters.events", broker);
        Outbox.Relayed r = afterRestart.relay();
        assertNull(r.failure());
        assertEquals(3, r.sent());
        assertEquals(0, afterRestart.pending());
        assertEquals(
                List.of(
                        "los:1:" + first.eventId(),
                        "los:2:" + during.get(0).eventId(),
                        "los:3:" + during.get(1).eventId(),
                        "mor:1:" + during.get(2).eventId()),
                broker.acknowledged,
                "once each, in the order recorded");
        assertEquals(new Outbox.Relayed(0, 0, null), afterRestart.relay(), "nothing is sent twice");
    }

    @Test
    void aRelayStopsAtTheFirstUnacknowledgedEventSoLaterOnesNeverOvertakeIt() {
        InMemoryBlobStore store = new InMemoryBlobStore();
        List<Integer> sent = new ArrayList<>();
        int[] calls = {0};
        Outbox outbox = new Outbox(store, "registry-svc", "adapters.events", (key, event) -> {
            if (calls[0]++ == 1) return new IOException("timeout"); // the second send fails once
            sent.add(((AliasMoved) event).version());
            return null;
        });
        for (int v = 1; v <= 3; v++) outbox.record("los", AliasMoved.of("los", "production", v, v == 1 ? null : v - 1));
        Outbox.Relayed r = outbox.relay();
        assertEquals(1, r.sent());
        assertEquals(2, r.pending());
        assertEquals(List.of(1), sent, "version 3 waits behind version 2");
        assertEquals(2, outbox.relay().sent());
        assertEquals(List.of(1, 2, 3), sent);
    }
}
