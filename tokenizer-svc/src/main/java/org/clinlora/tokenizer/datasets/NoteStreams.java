package org.clinlora.tokenizer.datasets;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.clinlora.platform.events.ClinicalNote;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;

/**
 * Named streaming datasets fed by topic notes.raw. Each note is stored once under its note id with a create-only write,
 * so a redelivered record, a producer retry or a consumer restart never adds a second row; a dataset built from the
 * stream reads the notes in key order, so it does not depend on arrival order either.
 */
@ApplicationScoped
public class NoteStreams {
    static final int MAX_TEXT_CHARS = 1_000_000, MAX_ID_CHARS = 256, MAX_LABELS = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What is kept of a note: identity, patient (for the split), text and labels. */
    public record StoredNote(String noteId, String subjectId, String text, List<String> labels) {}

    private final BlobStore store;

    public NoteStreams(BlobStore store) {
        this.store = store;
    }

    /**
     * Stores the note; false when this note id was already in the stream. Bad records are IllegalArgumentExceptions
     * naming the field.
     */
    public boolean stage(ClinicalNote n) {
        if (n.stream() == null) throw new IllegalArgumentException("stream is required");
        StoreLayout.requireName(n.stream());
        if (n.noteId() == null || n.noteId().isBlank() || n.noteId().length() > MAX_ID_CHARS)
            throw new IllegalArgumentException("noteId is required (at most " + MAX_ID_CHARS + " characters)");
        // Reasons name the field, never its content: the text is PHI.
        if (n.text() == null || n.text().isBlank())
            throw new IllegalArgumentException("note " + n.noteId() + ": text is empty");
        if (n.text().length() > MAX_TEXT_CHARS)
            throw new IllegalArgumentException(
                    "note " + n.noteId() + ": text is longer than " + MAX_TEXT_CHARS + " characters");
        if (n.labels() != null
                && (n.labels().size() > MAX_LABELS || n.labels().stream().anyMatch(l -> l == null || l.isBlank()))) {
            throw new IllegalArgumentException(
                    "note " + n.noteId() + ": labels must be non-empty names (at most " + MAX_LABELS + ")");
        }
        try {
            byte[] json = JSON.writeValueAsBytes(
                    new StoredNote(n.noteId(), n.subjectId(), n.text(), n.labels() == null ? List.of() : n.labels()));
            return store.putIfAbsent(StoreLayout.streamNote(n.stream(), n.noteId()), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<String> keys(String stream) {
        return store.list(StoreLayout.noteStream(stream));
    }

    public StoredNote read(String key) {
        try {
            return JSON.readValue(
                    store.getBytes(key).orElseThrow(() -> new IllegalStateException("note object vanished: " + key)),
                    StoredNote.class);
        } catch (IOException e) {
            throw new IllegalStateException("note object " + key + " is not readable JSON");
        }
    }
}
