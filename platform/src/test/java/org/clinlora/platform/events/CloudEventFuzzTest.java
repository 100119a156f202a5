package org.clinlora.platform.events;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile Kafka records read as events, as every consumer reads them ({@link CloudEvents#read}): binary mode (the
 * {@code ce_} headers and a JSON value), structured mode and today's envelope without headers. A record either reads as
 * an event or is refused with an IllegalArgumentException that says why and never quotes a note's text.
 *
 * <p>The input's first byte picks the mode; in binary mode its lines are the header values in {@link #HEADERS}' order
 * and the rest is the value.
 */
class CloudEventFuzzTest {
    private static final List<String> HEADERS = List.of(
            CloudEvents.SPEC_VERSION_HEADER,
            CloudEvents.ID_HEADER,
            CloudEvents.SOURCE_HEADER,
            CloudEvents.TYPE_HEADER,
            CloudEvents.TIME_HEADER,
            CloudEvents.DATA_SCHEMA_HEADER,
            CloudEvents.CONTENT_TYPE_HEADER);
    /** The note text of the seeds' ClinicalNote and ScoreRequest, which no refusal may quote. */
    private static final String NOTE = "Pt is a 71yo with CHF exacerbation";

    /** Every event kind in each of the three modes. */
    static Stream<byte[]> seeds() {
        List<byte[]> out = new ArrayList<>();
        for (Event e : CloudEventsTest.everyKind()) {
            String json = Events.toJson(e);
            Headers h = CloudEvents.headers(e, "registry-svc");
            StringBuilder binary = new StringBuilder("b");
            for (String name : HEADERS)
                binary.append(CloudEvents.header(h, name)).append('\n');
            out.add(utf8(binary.append(json).toString()));
            out.add(utf8("s{\"specversion\":\"1.0\",\"id\":\"" + e.eventId() + "\",\"source\":\"/clinlora/x\","
                    + "\"type\":\"" + CloudEvents.type(e) + "\",\"datacontenttype\":\"application/json\",\"data\":"
                    + json + "}"));
            out.add(utf8("e" + json));
        }
        return out.stream();
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "5s")
    void kafkaRecord(byte[] data) {
        if (data.length == 0) return;
        String rest = new String(data, 1, data.length - 1, StandardCharsets.UTF_8);
        RecordHeaders headers = new RecordHeaders();
        switch (data[0] % 3) {
            case 0 -> {
                String[] lines = rest.split("\n", HEADERS.size() + 1);
                for (int i = 0; i < lines.length - 1; i++)
                    headers.add(HEADERS.get(i), lines[i].getBytes(StandardCharsets.UTF_8));
                rest = lines[lines.length - 1];
            }
            case 1 -> headers.add(CloudEvents.CONTENT_TYPE_HEADER, utf8("application/cloudevents+json"));
            default -> {} // today's envelope
        }
        try {
            CloudEvents.read(headers, rest);
        } catch (IllegalArgumentException e) {
            // The reader's own refusal, with a reason; a JDK subclass (NumberFormatException, …) would be a finding.
            if (e.getClass() != IllegalArgumentException.class || e.getMessage() == null)
                throw new AssertionError("not a clear refusal: " + e.getClass().getName(), e);
            if (e.getMessage().contains(NOTE)) throw new AssertionError("a refusal quotes the note's text", e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
