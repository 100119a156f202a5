package org.clinlora.tokenizer.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.clinlora.platform.events.ClinicalNote;
import org.clinlora.platform.events.CloudEvents;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.tokenizer.datasets.NoteStreams;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Topic notes.raw → the named streaming dataset of each note. A record that cannot be a note (not JSON, another type, a
 * missing field) goes to notes.raw.dlq with the reason as a header, and the consumer carries on; a store outage is
 * retried here first, since it says nothing about the record. A note is a CloudEvent
 * ({@code org.clinlora.note.submitted}) or, for one release, today's envelope without {@code ce_} headers.
 */
@ApplicationScoped
public class NotesRawConsumer {
    private static final Logger LOG = Logger.getLogger(NotesRawConsumer.class);
    private static final int STORE_ATTEMPTS = 6;

    private final NoteStreams streams;
    private final Counter stored, duplicates;

    public NotesRawConsumer(NoteStreams streams, MeterRegistry metrics) {
        this.streams = streams;
        this.stored = metrics.counter("clinlora.notes.raw", "outcome", "stored");
        this.duplicates = metrics.counter("clinlora.notes.raw", "outcome", "duplicate");
    }

    @Incoming("notes-raw")
    @Blocking
    public void consume(ConsumerRecord<String, String> record) throws InterruptedException {
        Event e = CloudEvents.read(record.headers(), record.value()); // null value: "empty record"
        if (!(e instanceof ClinicalNote note))
            throw new IllegalArgumentException("notes.raw carries ClinicalNote records, got " + e.type());
        for (int attempt = 1; ; attempt++) {
            try {
                if (streams.stage(note)) stored.increment();
                else duplicates.increment();
                return;
            } catch (ObjectStore.StoreException ex) {
                if (attempt >= STORE_ATTEMPTS)
                    throw new IllegalStateException("object store unavailable after " + attempt + " attempts");
                LOG.warnf(
                        "notes.raw: object store error for note %s of stream %s, attempt %d",
                        note.noteId(), note.stream(), attempt);
                Thread.sleep(250L << attempt);
            }
        }
    }
}
