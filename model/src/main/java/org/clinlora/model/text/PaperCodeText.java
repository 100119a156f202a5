package org.clinlora.model.text;

import java.util.regex.Pattern;

/**
 * The paper's code's cleaning of the Clinical LoRA's notes, applied before tokenization when an experiment asks for it:
 * MIMIC-III's de-identification brackets {@code [**} and {@code **]} become spaces (their contents stay), line breaks
 * become spaces, and runs of spaces become one. Unlike {@link NoteNormalizer} it loses the line structure; it exists so
 * a run can reproduce what that code trained on, not as a recommended cleaning.
 */
public final class PaperCodeText {
    private static final Pattern SPACES = Pattern.compile(" +");

    private PaperCodeText() {}

    public static String clean(String note) {
        String t = note.replace("[**", " ").replace("**]", " ").replace("\n", " ");
        return SPACES.matcher(t).replaceAll(" ");
    }
}
