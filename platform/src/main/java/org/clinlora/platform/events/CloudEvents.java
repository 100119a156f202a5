package org.clinlora.platform.events;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Events as CloudEvents 1.0 on Kafka, binary content mode: the record's value is the event's JSON (unchanged, so a
 * consumer of today's envelope still reads it during the migration) and the attributes are {@code ce_} headers —
 * {@code ce_specversion} 1.0, {@code ce_id} the event id, {@code ce_source} {@code /clinlora/<service>},
 * {@code ce_type} {@code org.clinlora.<noun>.<verb>}, {@code ce_time} when it occurred, {@code ce_subject} the adapter
 * reference, job, dataset, request or note it is about, {@code ce_dataschema} naming the data's schema version, and
 * {@code content-type: application/json}. Reading ({@link CloudEventReader}) also accepts structured mode and, for one
 * release, a record without {@code ce_} headers (today's envelope).
 */
public final class CloudEvents {
    public static final String SPEC_VERSION = "1.0";
    public static final String DATA_CONTENT_TYPE = "application/json";
    /** The CloudEvents attribute headers (binding prefix {@code ce_}) and the binding's content type header. */
    public static final String SPEC_VERSION_HEADER = "ce_specversion",
            ID_HEADER = "ce_id",
            SOURCE_HEADER = "ce_source",
            TYPE_HEADER = "ce_type",
            TIME_HEADER = "ce_time",
            SUBJECT_HEADER = "ce_subject",
            DATA_SCHEMA_HEADER = "ce_dataschema",
            CONTENT_TYPE_HEADER = "content-type";
    /** Prefix of each event's {@code dataschema}: the CloudEvents type's noun.verb, then {@code /v<schemaVersion>}. */
    public static final String SCHEMA_BASE = "https://clinlora.org/schemas/events/";

    private CloudEvents() {}

    /** The {@code source} of events a clinlora service publishes: {@code /clinlora/registry-svc}, e.g. */
    public static URI source(String service) {
        if (service == null || !service.matches("[a-z][a-z0-9-]{0,62}"))
            throw new IllegalArgumentException("a service name is lower-case letters, digits and '-'");
        return URI.create("/clinlora/" + service);
    }

    /** The CloudEvents {@code type} of an event record: {@code org.clinlora.adapter.published}, e.g. */
    public static String type(Event e) {
        return EventTypes.of(e).cloudEventType();
    }

    /**
     * What the event is about (an adapter reference name@version or name@alias, a job, dataset, request or note id).
     */
    public static String subject(Event e) {
        return EventTypes.of(e).subjectOf(e);
    }

    /** The {@code dataschema} of an event: {@code https://clinlora.org/schemas/events/adapter.published/v1}, e.g. */
    public static URI dataSchema(Event e) {
        return URI.create(SCHEMA_BASE + type(e).substring(EventTypes.PREFIX.length()) + "/v" + e.schemaVersion());
    }

    /** The binary-mode headers of {@code event} published by {@code service}, for a record whose value is its JSON. */
    public static Headers headers(Event event, String service) {
        RecordHeaders h = new RecordHeaders();
        put(h, SPEC_VERSION_HEADER, SPEC_VERSION);
        put(h, ID_HEADER, event.eventId());
        put(h, SOURCE_HEADER, source(service).toString());
        put(h, TYPE_HEADER, type(event));
        put(h, TIME_HEADER, event.occurredAt());
        put(h, SUBJECT_HEADER, subject(event));
        put(h, DATA_SCHEMA_HEADER, dataSchema(event).toString());
        put(h, CONTENT_TYPE_HEADER, DATA_CONTENT_TYPE);
        return h;
    }

    /**
     * The event of a Kafka record: a CloudEvent in binary or structured mode, or (for one release, while producers
     * upgrade) today's envelope without {@code ce_} headers. A record that is none of these is an
     * IllegalArgumentException naming why, never quoting the record (it may hold note text).
     */
    public static Event read(Headers headers, String value) {
        return CloudEventReader.read(headers, value);
    }

    static String header(Headers headers, String key) {
        Header h = headers == null ? null : headers.lastHeader(key);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static void put(Headers h, String key, String value) {
        if (value != null) h.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
