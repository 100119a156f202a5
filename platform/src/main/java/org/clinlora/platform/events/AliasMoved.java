package org.clinlora.platform.events;

import java.time.Instant;
import java.util.UUID;

/** An alias now points at another version; {@code previousVersion} is null when it was just created. */
public record AliasMoved(
        String type,
        String eventId,
        String occurredAt,
        int schemaVersion,
        String name,
        String alias,
        int version,
        Integer previousVersion)
        implements Event {
    public static AliasMoved of(String name, String alias, int version, Integer previousVersion) {
        return new AliasMoved(
                "AliasMoved",
                UUID.randomUUID().toString(),
                Instant.now().toString(),
                1,
                name,
                alias,
                version,
                previousVersion);
    }
}
