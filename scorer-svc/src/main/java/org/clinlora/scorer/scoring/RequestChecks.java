package org.clinlora.scorer.scoring;

import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.TooLarge;

/**
 * What a scoring request must be before anything is resolved or loaded — the same for REST and Kafka — so a malformed
 * request is a 400 even while the base model is unavailable. Messages say which note, never what it says (PHI).
 */
public final class RequestChecks {
    public static final int MAX_CHARS = 1_000_000;

    private RequestChecks() {}

    /**
     * Non-empty, at most {@value #MAX_CHARS} characters, well-formed Unicode. Says which note, never what it says
     * (PHI).
     */
    public static void note(String which, String note) {
        if (note == null || note.isBlank()) throw new InvalidRequest(which + " is empty");
        if (note.length() > MAX_CHARS) throw new TooLarge(which + " is longer than " + MAX_CHARS + " characters");
        for (int i = 0; i < note.length(); i++) {
            char c = note.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < note.length() && Character.isLowSurrogate(note.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidRequest(which + " is not valid Unicode (a lone surrogate at character " + i + ")");
            }
        }
    }

    /** A non-empty row of token ids, each a possible vocabulary index (the base model's own size is checked later). */
    public static void ids(String which, long[] ids) {
        if (ids == null || ids.length == 0) throw new InvalidRequest(which + " is empty");
        for (long id : ids) {
            if (id < 0 || id >= Integer.MAX_VALUE)
                throw new InvalidRequest(which + " holds " + id + ", which no vocabulary has");
        }
    }
}
