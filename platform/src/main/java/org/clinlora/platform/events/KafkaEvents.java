package org.clinlora.platform.events;

import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Sends an event as JSON on a SmallRye Kafka emitter, keyed (one partition order per key), and waits for the broker's
 * acknowledgement, so a caller learns of an outage instead of losing the event silently.
 */
public final class KafkaEvents {
    private KafkaEvents() {}

    /**
     * Sends without waiting, for frequent updates (training progress) that must never stall the caller: a full buffer
     * or a broker outage drops the event and returns false.
     */
    public static boolean sendNoWait(Emitter<String> emitter, String key, Event event) {
        try {
            emitter.send(Message.of(Events.toJson(event))
                    .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                            .withKey(key)
                            .build()));
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Returns null when acknowledged, else the failure (the caller decides how loudly to report it). */
    public static Throwable sendAndAwait(Emitter<String> emitter, String key, Event event, long timeoutSeconds) {
        return sendAndAwait(emitter, key, event, Map.of(), timeoutSeconds);
    }

    /** As {@link #sendAndAwait(Emitter, String, Event, long)}, with record headers (a trace context, e.g.). */
    public static Throwable sendAndAwait(
            Emitter<String> emitter, String key, Event event, Map<String, String> headers, long timeoutSeconds) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        RecordHeaders h = new RecordHeaders();
        headers.forEach((k, v) -> h.add(k, v.getBytes(StandardCharsets.UTF_8)));
        Message<String> m = Message.of(Events.toJson(event))
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                        .withKey(key)
                        .withHeaders(h)
                        .build())
                .withAck(() -> {
                    acked.complete(null);
                    return CompletableFuture.completedFuture(null);
                })
                .withNack(t -> {
                    acked.completeExceptionally(t);
                    return CompletableFuture.completedFuture(null);
                });
        try {
            emitter.send(m);
            acked.get(timeoutSeconds, TimeUnit.SECONDS);
            return null;
        } catch (Exception e) {
            return e;
        }
    }
}
