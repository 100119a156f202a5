package org.clinlora.platform.events;

import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Sends an event as a CloudEvent in binary mode ({@link CloudEvents#headers}: its JSON as the value, the attributes as
 * {@code ce_} headers) on a SmallRye Kafka emitter, keyed (one partition order per key), and waits for the broker's
 * acknowledgement, so a caller learns of an outage instead of losing the event silently. {@code service} names the
 * publisher (the CloudEvents {@code source} {@code /clinlora/<service>}).
 */
public final class KafkaEvents {
    private KafkaEvents() {}

    /**
     * Sends without waiting, for frequent updates (training progress) that must never stall the caller: a full buffer
     * or a broker outage drops the event and returns false.
     */
    public static boolean sendNoWait(Emitter<String> emitter, String service, String key, Event event) {
        try {
            emitter.send(message(service, key, event, Map.of()));
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Returns null when acknowledged, else the failure (the caller decides how loudly to report it). */
    public static Throwable sendAndAwait(
            Emitter<String> emitter, String service, String key, Event event, long timeoutSeconds) {
        return sendAndAwait(emitter, service, key, event, Map.of(), timeoutSeconds);
    }

    /** As {@link #sendAndAwait(Emitter, String, String, Event, long)}, with more headers (a trace context, e.g.). */
    public static Throwable sendAndAwait(
            Emitter<String> emitter,
            String service,
            String key,
            Event event,
            Map<String, String> headers,
            long timeoutSeconds) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        Message<String> m = message(service, key, event, headers)
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

    private static Message<String> message(String service, String key, Event event, Map<String, String> extra) {
        Headers h = CloudEvents.headers(event, service);
        extra.forEach((k, v) -> h.add(k, v.getBytes(StandardCharsets.UTF_8)));
        return Message.of(Events.toJson(event))
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                        .withKey(key)
                        .withHeaders(h)
                        .build());
    }
}
