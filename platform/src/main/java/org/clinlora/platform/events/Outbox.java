package org.clinlora.platform.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;

/**
 * At-least-once events from durable state. A service records each event it must announce in the object store
 * ({@link #record}) right after the change the event describes is durable; {@link #relay} then publishes the recorded
 * events oldest first and deletes each once Kafka has acknowledged it. A broker outage leaves them recorded: the next
 * relay (the service runs one every few seconds and at start-up) sends them, in their order, so every change made while
 * Kafka was down is announced once it is back. A crash between a send and its delete sends that event again, which is
 * why consumers treat events idempotently by {@code eventId}.
 *
 * <p>Entries are named by a zero-padded timestamp and a counter, so listing the prefix gives the order of recording
 * within one process; entries of one key (an adapter name) are never overtaken by later ones, since a relay stops at
 * the first event Kafka does not acknowledge.
 */
public final class Outbox {
    /** Publishes one event under its key; null when the broker acknowledged it, else why not. */
    @FunctionalInterface
    public interface Sender {
        Throwable send(String key, Event event);
    }

    /** What one relay did: events acknowledged, events still waiting, the failure that stopped it (or null). */
    public record Relayed(int sent, int pending, Throwable failure) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private final BlobStore store;
    private final String prefix;
    private final Sender sender;
    private final AtomicLong counter = new AtomicLong();

    /** @param service the owning service (its outbox is its own), @param topic the Kafka topic its events go to */
    public Outbox(BlobStore store, String service, String topic, Sender sender) {
        this.store = store;
        this.prefix = StoreLayout.outbox(service, topic);
        this.sender = sender;
    }

    /** Records an event to announce under {@code key}; durable when this returns. */
    public void record(String key, Event event) {
        ObjectNode entry = JSON.createObjectNode();
        entry.put("key", key);
        try {
            entry.set("event", JSON.readTree(Events.toJson(event)));
            long seq = System.currentTimeMillis() * 1000 + counter.getAndIncrement() % 1000;
            store.put(
                    prefix + String.format("%016d-%s.json", seq, event.eventId()),
                    JSON.writeValueAsBytes(entry),
                    Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Publishes what is recorded, oldest first, deleting each acknowledged entry; stops at the first failure. */
    public synchronized Relayed relay() {
        List<String> keys = store.list(prefix).stream()
                .filter(k -> k.endsWith(".json"))
                .sorted()
                .toList();
        int sent = 0;
        for (String k : keys) {
            var bytes = store.getBytes(k);
            if (bytes.isEmpty()) continue; // sent and deleted by another relay meanwhile
            JsonNode entry;
            Event event;
            try {
                entry = JSON.readTree(new String(bytes.get(), StandardCharsets.UTF_8));
                event = Events.parse(JSON.writeValueAsString(entry.get("event")));
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("outbox entry " + k + " is unreadable: " + e.getMessage(), e);
            }
            Throwable failed = sender.send(entry.get("key").asText(), event);
            if (failed != null) return new Relayed(sent, keys.size() - sent, failed);
            store.delete(k);
            sent++;
        }
        return new Relayed(sent, 0, null);
    }

    /** Events recorded and not yet acknowledged. */
    public int pending() {
        return (int)
                store.list(prefix).stream().filter(k -> k.endsWith(".json")).count();
    }
}
