package org.clinlora.platform.events;

/**
 * Every message on a clinlora topic is JSON with these four fields: {@code type} (the record's simple name),
 * {@code eventId} (consumers deduplicate on it), {@code occurredAt} (ISO-8601 UTC) and {@code schemaVersion}.
 */
public interface Event {
    String type();

    String eventId();

    String occurredAt();

    int schemaVersion();
}
