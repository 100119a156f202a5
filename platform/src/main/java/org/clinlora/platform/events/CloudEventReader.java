package org.clinlora.platform.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Headers;

/**
 * Reads a Kafka record as an event (see {@link CloudEvents#read}). The CloudEvents attributes win over the data's own
 * envelope fields: {@code type} picks the record, {@code id} is its event id, {@code time} its occurrence and a
 * clinlora {@code dataschema} its schema version, so a producer written against a CloudEvents SDK may send only the
 * event's own fields as data. Failures name the attribute at fault and quote only values shaped like a type name.
 */
final class CloudEventReader {
    private static final String STRUCTURED_PREFIX = "application/cloudevents";
    private static final Pattern OUR_SCHEMA =
            Pattern.compile(Pattern.quote(CloudEvents.SCHEMA_BASE) + "[a-z.]+/v(\\d{1,4})");
    private static final Pattern TYPE_SHAPE = Pattern.compile("[A-Za-z0-9.]{1,80}");

    /** The context attributes that matter to a clinlora consumer (source, subject: informative only). */
    private record Attributes(String specVersion, String id, String source, String type, String time, String schema) {}

    private CloudEventReader() {}

    static Event read(Headers headers, String value) {
        if (value == null) throw new IllegalArgumentException("empty record");
        if (structured(headers)) return structured(value);
        if (CloudEvents.header(headers, CloudEvents.SPEC_VERSION_HEADER) == null) return Events.parse(value);
        String contentType = CloudEvents.header(headers, CloudEvents.CONTENT_TYPE_HEADER);
        if (contentType != null && !isJson(contentType))
            throw new IllegalArgumentException("the event data must be application/json");
        Attributes a = new Attributes(
                CloudEvents.header(headers, CloudEvents.SPEC_VERSION_HEADER),
                CloudEvents.header(headers, CloudEvents.ID_HEADER),
                CloudEvents.header(headers, CloudEvents.SOURCE_HEADER),
                CloudEvents.header(headers, CloudEvents.TYPE_HEADER),
                CloudEvents.header(headers, CloudEvents.TIME_HEADER),
                CloudEvents.header(headers, CloudEvents.DATA_SCHEMA_HEADER));
        return event(a, Events.object(value, "the event data"));
    }

    static boolean structured(Headers headers) {
        String ct = CloudEvents.header(headers, CloudEvents.CONTENT_TYPE_HEADER);
        return ct != null && ct.toLowerCase(Locale.ROOT).startsWith(STRUCTURED_PREFIX);
    }

    /** Structured mode: the value is the CloudEvent as JSON, with the event's JSON as {@code data}. */
    private static Event structured(String value) {
        ObjectNode ce = Events.object(value, "the structured CloudEvent");
        if (ce.has("data_base64")) throw new IllegalArgumentException("the event data must be JSON, not data_base64");
        String contentType = text(ce, "datacontenttype");
        if (contentType != null && !isJson(contentType))
            throw new IllegalArgumentException("the event data must be application/json");
        if (!(ce.get("data") instanceof ObjectNode data))
            throw new IllegalArgumentException("the structured CloudEvent has no JSON object as data");
        Attributes a = new Attributes(
                text(ce, "specversion"),
                text(ce, "id"),
                text(ce, "source"),
                text(ce, "type"),
                text(ce, "time"),
                text(ce, "dataschema"));
        return event(a, data);
    }

    private static Event event(Attributes a, ObjectNode data) {
        if (!CloudEvents.SPEC_VERSION.equals(a.specVersion()))
            throw new IllegalArgumentException("unsupported CloudEvents specversion (1.0 is read)");
        if (blank(a.id())) throw new IllegalArgumentException("the CloudEvent has no id");
        if (blank(a.source())) throw new IllegalArgumentException("the CloudEvent has no source");
        if (blank(a.type())) throw new IllegalArgumentException("the CloudEvent has no type");
        EventTypes.Kind<?> kind = EventTypes.byCloudEventType(a.type());
        if (kind == null)
            throw new IllegalArgumentException(
                    TYPE_SHAPE.matcher(a.type()).matches()
                            ? "unknown CloudEvent type: " + a.type()
                            : "unknown CloudEvent type");
        data.put("type", kind.record().getSimpleName());
        data.put("eventId", a.id());
        if (a.time() != null) data.put("occurredAt", instant(a.time()));
        Integer version = schemaVersion(a.schema());
        if (version != null) data.put("schemaVersion", version);
        else if (!data.path("schemaVersion").canConvertToInt()) data.put("schemaVersion", 1);
        return Events.as(data, kind.record());
    }

    /** RFC 3339 as the envelope's ISO-8601 UTC instant (the form {@code occurredAt} has always had). */
    private static String instant(String time) {
        try {
            return OffsetDateTime.parse(time).toInstant().toString();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("the CloudEvent time is not an RFC 3339 timestamp");
        }
    }

    /** The schema version a clinlora dataschema names; null for none or another producer's schema URI. */
    private static Integer schemaVersion(String schema) {
        if (schema == null) return null;
        Matcher m = OUR_SCHEMA.matcher(schema);
        return m.matches() ? Integer.valueOf(m.group(1)) : null;
    }

    private static boolean isJson(String contentType) {
        String media = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return media.equals("application/json") || media.endsWith("+json") && !media.startsWith(STRUCTURED_PREFIX);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
