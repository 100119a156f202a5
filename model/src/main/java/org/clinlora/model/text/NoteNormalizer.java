package org.clinlora.model.text;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Consistent clinical text without changing what it says: MIMIC's de-identification placeholder in one form
 * ({@code ___}), whitespace collapsed (line breaks kept, as they separate sections and list items), and known
 * section headers in one spelling ({@code CHIEF COMPLAINT:} and {@code chief complaint :} become
 * {@code Chief Complaint:}). Each step can be turned off; {@link #describe()} goes into the dataset manifest.
 */
public record NoteNormalizer(boolean deidPlaceholder, boolean whitespace, boolean sectionHeaders) {

    public static final NoteNormalizer DEFAULT = new NoteNormalizer(true, true, true);
    public static final NoteNormalizer NONE = new NoteNormalizer(false, false, false);

    private static final Set<String> HEADERS = Set.of("chief complaint", "history of present illness", "past medical history",
            "social history", "family history", "physical exam", "pertinent results", "brief hospital course",
            "medications on admission", "discharge medications", "discharge disposition", "discharge diagnosis",
            "discharge condition", "discharge instructions", "followup instructions", "allergies",
            "major surgical or invasive procedure", "impression", "findings", "indication", "technique", "comparison",
            "examination", "history", "service", "attending");
    private static final Pattern DEID = Pattern.compile("_{3,}");
    private static final Pattern HEADER = Pattern.compile("(?m)^[ \\t]*([A-Za-z][A-Za-z /&-]{1,45}?)[ \\t]*:");
    private static final Pattern SPACES = Pattern.compile("[ \\t\\u00A0\\f\\x0B]+");
    private static final Pattern TRAILING = Pattern.compile("(?m)[ \\t]+$");
    private static final Pattern BLANKS = Pattern.compile("\\n{3,}");

    public String normalize(String text) {
        if (text == null) return "";
        String t = text.replace("\r\n", "\n").replace('\r', '\n');
        // Each pass runs only where it would change something (a plain scan is far cheaper than a regex rewrite).
        if (deidPlaceholder && t.contains("____")) t = DEID.matcher(t).replaceAll("___");
        if (whitespace) {
            if (needsSpaces(t)) t = SPACES.matcher(t).replaceAll(" ");
            if (hasTrailing(t)) t = TRAILING.matcher(t).replaceAll("");
            if (t.contains("\n\n\n")) t = BLANKS.matcher(t).replaceAll("\n\n");
            t = t.strip();
        }
        if (sectionHeaders) {
            Matcher m = HEADER.matcher(t);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String h = m.group(1).trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
                String replacement = HEADERS.contains(h) ? titleCase(h) + ":" : m.group();
                m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
            }
            m.appendTail(sb);
            t = sb.toString();
        }
        return t;
    }

    /** Whether {@link #SPACES} would change the text: a tab or other blank, or two spaces in a row. */
    private static boolean needsSpaces(String t) {
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '\t' || c == '\u00A0' || c == '\f' || c == '\u000B' || (c == ' ' && i + 1 < t.length() && t.charAt(i + 1) == ' ')) return true;
        }
        return false;
    }

    /** Whether {@link #TRAILING} would change the text: a space or tab before a line end (as (?m)$ sees them) or the end. */
    private static boolean hasTrailing(String t) {
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c != ' ' && c != '\t') continue;
            if (i + 1 == t.length()) return true;
            char n = t.charAt(i + 1);
            if (n == '\n' || n == '\r' || n == '\u0085' || n == '\u2028' || n == '\u2029') return true;
        }
        return false;
    }

    private static String titleCase(String h) {
        StringBuilder sb = new StringBuilder();
        for (String w : h.split(" ")) {
            if (sb.length() > 0) sb.append(' ');
            sb.append(Set.of("of", "or", "on").contains(w) ? w : Character.toUpperCase(w.charAt(0)) + w.substring(1));
        }
        return sb.toString();
    }

    /** The settings, as recorded in a dataset manifest. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("deidPlaceholder", deidPlaceholder);
        m.put("whitespace", whitespace);
        m.put("sectionHeaders", sectionHeaders);
        return m;
    }
}
