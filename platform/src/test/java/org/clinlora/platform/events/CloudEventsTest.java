package org.clinlora.platform.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.CloudEventSerializer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * The services' events as CloudEvents 1.0 in Kafka's binary mode, checked against the CloudEvents SDK (its Kafka
 * serializer and deserializer, as a pipeline team would use them): what we write the SDK reads attribute for attribute;
 * what the SDK writes — binary or structured, with or without today's envelope in the data — our consumers read; and a
 * record without {@code ce_} headers (today's envelope) is still read, for one release.
 */
class CloudEventsTest {
    private static final String NOTE_TEXT = "Pt is a 71yo with CHF exacerbation";

    /** One event of every kind the services publish or consume. */
    static List<Event> everyKind() {
        return List.of(
                AdapterPublished.of("los", 3, "los", "clinical@1", "llama-7b"),
                AdapterDeleted.of("los", 2),
                AliasMoved.of("los", "production", 3, 2),
                DatasetReady.of("mor-ds", "classification", "llama-7b", 512, Map.of("train", 90L), "ab", "cd"),
                ClinicalNote.of("mor-stream", "n-17", "p-4", NOTE_TEXT, List.of("1")),
                trainingRequest("job-9"),
                TrainingProgress.of("job-9", 3, 30, 0.1, 2.5, 1e-4, 900, 12, 1.5, 1),
                TrainingCompleted.of("job-9", "los@3", "clinical@1", Map.of("test.macro_auroc", 0.71)),
                TrainingFailed.of("job-8", "out of memory", false),
                ScoreRequest.of("req-5", "los@production", NOTE_TEXT),
                ScoreResult.of("req-5", "los@production", "los@3", Map.of("0", 0.4, "1", 0.6), 12, false));
    }

    private static TrainingRequest trainingRequest(String jobId) {
        return (TrainingRequest) Events.parse("{\"type\":\"TrainingRequest\",\"eventId\":\"e-1\",\"occurredAt\":\""
                + Instant.now() + "\",\"schemaVersion\":1,\"spec\":{\"jobId\":\"" + jobId
                + "\",\"kind\":\"downstream\","
                + "\"baseModel\":\"llama-7b\",\"datasets\":{\"train\":\"mor-ds\"},\"outputName\":\"mor\"}}");
    }

    @Test
    void everyEventTypeIsNamedOrgClinloraNounVerbAndDistinct() {
        Set<String> types = new HashSet<>();
        for (Event e : everyKind()) {
            assertTrue(CloudEvents.type(e).matches("org\\.clinlora\\.[a-z]+\\.[a-z]+"), CloudEvents.type(e));
            assertTrue(types.add(CloudEvents.type(e)), "one type per record: " + CloudEvents.type(e));
        }
        assertEquals(EventTypes.all().size(), types.size(), "the samples cover every event record");
    }

    @Test
    void theSdkReadsWhatTheServicesWrite() {
        try (CloudEventDeserializer sdk = new CloudEventDeserializer()) {
            for (Event e : everyKind()) {
                Headers h = CloudEvents.headers(e, "registry-svc");
                byte[] value = Events.toJson(e).getBytes(StandardCharsets.UTF_8);
                CloudEvent ce = sdk.deserialize("adapters.events", h, value);
                assertEquals("1.0", ce.getSpecVersion().toString());
                assertEquals(e.eventId(), ce.getId());
                assertEquals(URI.create("/clinlora/registry-svc"), ce.getSource());
                assertEquals(CloudEvents.type(e), ce.getType());
                assertEquals(CloudEvents.subject(e), ce.getSubject());
                assertEquals(Instant.parse(e.occurredAt()), ce.getTime().toInstant());
                assertEquals("application/json", ce.getDataContentType());
                assertTrue(
                        ce.getDataSchema().toString().endsWith("/v1"),
                        ce.getDataSchema().toString());
                assertEquals(Events.toJson(e), new String(ce.getData().toBytes(), StandardCharsets.UTF_8));
                // and back: our consumers read the record they would get
                assertEquals(e, CloudEvents.read(h, Events.toJson(e)));
            }
        }
    }

    @Test
    void subjectsNameWhatTheEventIsAbout() {
        List<Event> all = everyKind();
        assertEquals("los@3", CloudEvents.subject(all.get(0)));
        assertEquals("los@2", CloudEvents.subject(all.get(1)));
        assertEquals("los@production", CloudEvents.subject(all.get(2)));
        assertEquals("mor-ds", CloudEvents.subject(all.get(3)));
        assertEquals("n-17", CloudEvents.subject(all.get(4)));
        assertEquals("job-9", CloudEvents.subject(all.get(5)));
        assertEquals("job-8", CloudEvents.subject(all.get(8)));
        assertEquals("req-5", CloudEvents.subject(all.get(10)));
    }

    @Test
    void aPipelineUsingTheSdkInBinaryModeMaySendOnlyTheEventsOwnFields() {
        OffsetDateTime at = OffsetDateTime.of(2026, 3, 1, 9, 30, 0, 0, ZoneOffset.ofHours(2));
        CloudEvent ce = CloudEventBuilder.v1()
                .withId("pipeline-42")
                .withSource(URI.create("https://ci.example.org/pipelines/nightly"))
                .withType("org.clinlora.training.requested")
                .withSubject("job-42")
                .withTime(at)
                .withDataContentType("application/json")
                .withData(
                        ("{\"spec\":{\"jobId\":\"job-42\",\"kind\":\"downstream\"}}").getBytes(StandardCharsets.UTF_8))
                .build();
        Headers h = new RecordHeaders();
        byte[] value;
        try (CloudEventSerializer sdk = new CloudEventSerializer()) {
            sdk.configure(Map.of(CloudEventSerializer.ENCODING_CONFIG, Encoding.BINARY), false);
            value = sdk.serialize("training.requests", h, ce);
        }
        TrainingRequest r = (TrainingRequest) CloudEvents.read(h, new String(value, StandardCharsets.UTF_8));
        assertEquals("pipeline-42", r.eventId(), "the CloudEvents id is the event id consumers deduplicate on");
        assertEquals("2026-03-01T07:30:00Z", r.occurredAt(), "time, as the envelope's UTC instant");
        assertEquals(1, r.schemaVersion());
        assertEquals("TrainingRequest", r.type());
        assertEquals("job-42", r.spec().jobId());
    }

    @Test
    void structuredModeIsReadToo() {
        ScoreRequest sent = ScoreRequest.of("req-7", "los@production", NOTE_TEXT);
        CloudEvent ce = CloudEventBuilder.v1()
                .withId(sent.eventId())
                .withSource(URI.create("/pipelines/scoring"))
                .withType("org.clinlora.score.requested")
                .withTime(OffsetDateTime.parse(sent.occurredAt()))
                .withDataContentType("application/json")
                .withData(Events.toJson(sent).getBytes(StandardCharsets.UTF_8))
                .build();
        Headers h = new RecordHeaders();
        byte[] value;
        try (CloudEventSerializer sdk = new CloudEventSerializer()) {
            sdk.configure(
                    Map.of(
                            CloudEventSerializer.ENCODING_CONFIG,
                            Encoding.STRUCTURED,
                            CloudEventSerializer.EVENT_FORMAT_CONFIG,
                            JsonFormat.CONTENT_TYPE),
                    false);
            value = sdk.serialize("scores.requests", h, ce);
        }
        assertNull(h.lastHeader("ce_id"), "structured: the attributes are in the value");
        assertEquals(sent, CloudEvents.read(h, new String(value, StandardCharsets.UTF_8)));
    }

    @Test
    void todaysEnvelopeWithoutHeadersIsStillReadForOneRelease() {
        for (Event e : everyKind()) {
            assertEquals(e, CloudEvents.read(new RecordHeaders(), Events.toJson(e)));
            assertEquals(e, CloudEvents.read(null, Events.toJson(e)));
        }
    }

    @Test
    void aBrokenCloudEventIsRefusedWithAReasonThatQuotesNoData() {
        ClinicalNote note = ClinicalNote.of("s", "n-1", "p-1", NOTE_TEXT, List.of("1"));
        String json = Events.toJson(note);
        Map<String, String> faults = Map.of(
                "ce_specversion", "0.3",
                "ce_id", " ",
                "ce_type", "org.clinlora.note.shredded",
                "ce_time", "yesterday",
                "content-type", "application/avro");
        for (var fault : faults.entrySet()) {
            Headers h = CloudEvents.headers(note, "tokenizer-svc");
            h.remove(fault.getKey());
            h.add(fault.getKey(), fault.getValue().getBytes(StandardCharsets.UTF_8));
            var e = assertThrows(IllegalArgumentException.class, () -> CloudEvents.read(h, json), fault.getKey());
            assertFalse(e.getMessage().contains(NOTE_TEXT), e.getMessage());
        }
        Headers noSource = CloudEvents.headers(note, "tokenizer-svc");
        noSource.remove("ce_source");
        assertEquals(
                "the CloudEvent has no source",
                assertThrows(IllegalArgumentException.class, () -> CloudEvents.read(noSource, json))
                        .getMessage());
        assertEquals(
                "unknown CloudEvent type: org.clinlora.note.shredded",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> CloudEvents.read(typed("org.clinlora.note.shredded"), json))
                        .getMessage());
        String phiType = NOTE_TEXT;
        var e = assertThrows(IllegalArgumentException.class, () -> CloudEvents.read(typed(phiType), json));
        assertFalse(e.getMessage().contains(NOTE_TEXT), "a type that is not shaped like one is not echoed");
        var notJson = assertThrows(
                IllegalArgumentException.class,
                () -> CloudEvents.read(CloudEvents.headers(note, "tokenizer-svc"), "{\"text\": " + NOTE_TEXT));
        assertFalse(notJson.getMessage().contains(NOTE_TEXT), notJson.getMessage());
    }

    private static Headers typed(String type) {
        Headers h = CloudEvents.headers(ClinicalNote.of("s", "n-1", "p-1", "x", List.of()), "tokenizer-svc");
        h.remove("ce_type");
        h.add("ce_type", type.getBytes(StandardCharsets.UTF_8));
        return h;
    }

    @Test
    void sourcesAreClinloraServicePaths() {
        assertEquals(URI.create("/clinlora/scorer-svc"), CloudEvents.source("scorer-svc"));
        assertThrows(IllegalArgumentException.class, () -> CloudEvents.source("../etc"));
    }
}
