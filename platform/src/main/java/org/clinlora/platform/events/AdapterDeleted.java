package org.clinlora.platform.events;

import java.time.Instant;
import java.util.UUID;

/** An adapter version was deleted and is no longer served. */
public record AdapterDeleted(
        String type, String eventId, String occurredAt, int schemaVersion, String name, int version) implements Event {
    public static AdapterDeleted of(String name, int version) {
        return new AdapterDeleted(
                "AdapterDeleted", UUID.randomUUID().toString(), Instant.now().toString(), 1, name, version);
    }
}
