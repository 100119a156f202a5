package org.clinlora.platform.events;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One note on topic notes.raw, for the named streaming dataset {@code stream}. {@code noteId} is the identity: a note
 * delivered twice (redelivery, a producer retry) is stored once. {@code labels} are optional, for task datasets (one
 * class, or several ICD-9 codes). The text is PHI: it is never logged, only stored and tokenized.
 */
public record ClinicalNote(
        String type,
        String eventId,
        String occurredAt,
        int schemaVersion,
        String stream,
        String noteId,
        String subjectId,
        String hadmId,
        String noteType,
        String text,
        List<String> labels)
        implements Event {
    public static ClinicalNote of(String stream, String noteId, String subjectId, String text, List<String> labels) {
        return new ClinicalNote(
                "ClinicalNote",
                UUID.randomUUID().toString(),
                Instant.now().toString(),
                1,
                stream,
                noteId,
                subjectId,
                null,
                null,
                text,
                labels);
    }

    /** A record that does not say what its text is must never reach the text. */
    @Override
    public String toString() {
        return "ClinicalNote[stream=" + stream + ", noteId=" + noteId + ", eventId=" + eventId + "]";
    }
}
