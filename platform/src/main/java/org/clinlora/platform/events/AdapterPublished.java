package org.clinlora.platform.events;

import java.time.Instant;
import java.util.UUID;

/** A new adapter version is durable and visible (topic adapters.events). */
public record AdapterPublished(
        String type,
        String eventId,
        String occurredAt,
        int schemaVersion,
        String name,
        int version,
        String task,
        String parent,
        String baseModelId)
        implements Event {
    public static AdapterPublished of(String name, int version, String task, String parent, String baseModelId) {
        return new AdapterPublished(
                "AdapterPublished",
                UUID.randomUUID().toString(),
                Instant.now().toString(),
                1,
                name,
                version,
                task,
                parent,
                baseModelId);
    }
}
