package org.clinlora.model.text;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Consistent clinical text without changing what it says: MIMIC's de-identification placeholder in one form
 * ({@code ___}), whitespace collapsed (line breaks kept, as they separate sections and list items), and known section
 * headers in one spelling ({@code CHIEF COMPLAINT:} and {@code chief complaint :} become {@code Chief Complaint:}).
 * Each step can be turned off; {@link #describe()} goes into the dataset manifest.
 */
public record NoteNormalizer(boolean deidPlaceholder, boolean whitespace, boolean sectionHeaders) {

    public static final NoteNormalizer DEFAULT = new NoteNormalizer(true, true, true);
    public static final NoteNormalizer NONE = new NoteNormalizer(false, false, false);

    /**
     * The known section headers, lower case (package-private: the tests compare the header scan with a regex over
     * them).
     */
    static final Set<String> HEADERS = Set.of(
            "chief complaint",
            "history of present illness",
            "past medical history",
            "social history",
            "family history",
            "physical exam",
            "pertinent results",
            "brief hospital course",
            "medications on admission",
            "discharge medications",
            "discharge disposition",
            "discharge diagnosis",
            "discharge condition",
            "discharge instructions",
            "followup instructions",
            "allergies",
            "major surgical or invasive procedure",
            "impression",
            "findings",
            "indication",
            "technique",
            "comparison",
            "examination",
            "history",
            "service",
            "attending");

    private static final Pattern DEID = Pattern.compile("_{3,}");
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
        if (sectionHeaders) t = sectionHeaders(t);
        return t;
    }

    /**
     * Known section headers in one spelling, by one scan of the line starts. A header is what the pattern {@code (?m)^[
     * \t]*([A-Za-z][A-Za-z /&-]{1,45}?)[ \t]*:} matches (a line's leading blanks, a name of 2 to 46 letters, spaces,
     * '/', '&' or '-' starting with a letter, blanks, the first colon after the shortest such name); when the name,
     * lower-cased with its spaces collapsed, is a known header, the whole match becomes its canonical spelling and a
     * colon. Lines start at the text's start and after \n, \u0085, \u2028 and \u2029, as for (?m)^.
     */
    private static String sectionHeaders(String t) {
        StringBuilder out = null;
        int copied = 0, n = t.length();
        for (int s = 0; s < n; s = nextLine(t, s)) {
            int j = s;
            while (j < n && (t.charAt(j) == ' ' || t.charAt(j) == '\t')) j++;
            if (j >= n || !isLetter(t.charAt(j))) continue;
            int colon = -1, end = -1;
            for (int p = j + 2; p <= j + 46 && p <= n && isNameChar(t.charAt(p - 1)); p++) {
                int q = p;
                while (q < n && (t.charAt(q) == ' ' || t.charAt(q) == '\t')) q++;
                if (q < n && t.charAt(q) == ':') {
                    end = p;
                    colon = q;
                    break;
                }
            }
            if (colon < 0) continue;
            String h = t.substring(j, end).trim().replaceAll(" +", " ").toLowerCase(Locale.ROOT);
            if (!HEADERS.contains(h)) continue;
            String replacement = titleCase(h) + ":";
            if (t.regionMatches(s, replacement, 0, replacement.length()) && colon + 1 - s == replacement.length())
                continue;
            if (out == null) out = new StringBuilder(n + 16);
            out.append(t, copied, s).append(replacement);
            copied = colon + 1;
        }
        if (out == null) return t;
        return out.append(t, copied, n).toString();
    }

    /** The start of the line after the one at {@code s}, or the text's length. */
    private static int nextLine(String t, int s) {
        for (int i = s; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '\n' || c == '\u0085' || c == '\u2028' || c == '\u2029') return i + 1;
        }
        return t.length();
    }

    private static boolean isLetter(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }

    private static boolean isNameChar(char c) {
        return isLetter(c) || c == ' ' || c == '/' || c == '&' || c == '-';
    }

    /** Whether {@link #SPACES} would change the text: a tab or other blank, or two spaces in a row. */
    private static boolean needsSpaces(String t) {
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '\t'
                    || c == '\u00A0'
                    || c == '\f'
                    || c == '\u000B'
                    || (c == ' ' && i + 1 < t.length() && t.charAt(i + 1) == ' ')) return true;
        }
        return false;
    }

    /**
     * Whether {@link #TRAILING} would change the text: a space or tab before a line end (as (?m)$ sees them) or the
     * end.
     */
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

    static String titleCase(String h) {
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
