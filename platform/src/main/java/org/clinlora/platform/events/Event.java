package org.clinlora.platform.events;

/**
 * An event record, JSON with these four fields: {@code type} (the record's simple name), {@code eventId} (consumers
 * deduplicate on it), {@code occurredAt} (ISO-8601 UTC) and {@code schemaVersion}. On Kafka it is the data of a
 * CloudEvent whose {@code id}, {@code time} and {@code dataschema} carry the last three ({@link CloudEvents}); the
 * fields stay in the data for one release, for consumers that do not read the {@code ce_} headers yet.
 */
public interface Event {
    String type();

    String eventId();

    String occurredAt();

    int schemaVersion();
}
