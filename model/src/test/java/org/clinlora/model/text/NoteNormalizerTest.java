package org.clinlora.model.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.clinlora.model.data.SyntheticCorpus;
import org.junit.jupiter.api.Test;

class NoteNormalizerTest {
    static final String RAW =
            "CHIEF COMPLAINT :  chest\tpain\r\n\r\n\r\n\r\nhistory of present illness: ______ yo  M \u00A0 with CP.   \n"
                    + "Dose: 5 mg\nIMPRESSION:No acute process.";

    @Test
    void placeholdersWhitespaceAndHeadersBecomeConsistentWithoutChangingWords() {
        assertEquals(
                "Chief Complaint: chest pain\n\nHistory of Present Illness: ___ yo M with CP.\n"
                        + "Dose: 5 mg\nImpression:No acute process.",
                NoteNormalizer.DEFAULT.normalize(RAW));
    }

    @Test
    void eachStepCanBeTurnedOffAndNoneKeepsTheTextButItsLineEndings() {
        assertEquals(RAW.replace("\r\n", "\n"), NoteNormalizer.NONE.normalize(RAW));
        String deidOnly = new NoteNormalizer(true, false, false).normalize("a ______ b ____ c __ d");
        assertEquals("a ___ b ___ c __ d", deidOnly);
        assertEquals(
                "{deidPlaceholder=true, whitespace=true, sectionHeaders=true}",
                NoteNormalizer.DEFAULT.describe().toString());
    }

    /**
     * The normaliser as it was before its passes learned to skip themselves and headers were scanned by hand: the
     * reference the fast path must equal.
     */
    static String reference(String text) {
        String t = text.replace("\r\n", "\n").replace('\r', '\n');
        t = t.replaceAll("_{3,}", "___");
        t = t.replaceAll("[ \\t\\u00A0\\f\\x0B]+", " ");
        t = t.replaceAll("(?m)[ \\t]+$", "");
        t = t.replaceAll("\\n{3,}", "\n\n").strip();
        Matcher m = Pattern.compile("(?m)^[ \\t]*([A-Za-z][A-Za-z /&-]{1,45}?)[ \\t]*:")
                .matcher(t);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String h = m.group(1).trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
            String replacement = NoteNormalizer.HEADERS.contains(h) ? NoteNormalizer.titleCase(h) + ":" : m.group();
            m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    @Test
    void skippingPassesThatWouldChangeNothingGivesTheSameTextOnNotesAndOnAdversarialStrings() {
        List<String> texts = new ArrayList<>();
        for (var a : new SyntheticCorpus(new SyntheticCorpus.Settings(80, 0.8, 4)).admissions()) {
            texts.add(a.dischargeSummary());
            texts.add(a.admissionNote());
        }
        texts.add(RAW);
        // Strings of the characters every pass cares about, in every arrangement a seeded generator makes.
        char[] alphabet = {
            ' ', ' ', '\t', '\u00A0', '\f', '\u000B', '\n', '\n', '\r', '\u0085', '\u2028', '\u2029', '_', '_', 'a',
            'B', ':', '/', '&', '-', '1'
        };
        SplittableRandom r = new SplittableRandom(11);
        for (int k = 0; k < 20_000; k++) {
            StringBuilder sb = new StringBuilder();
            for (int i = r.nextInt(40); i > 0; i--) {
                int pick = r.nextInt(10);
                sb.append(
                        pick == 0
                                ? "history of present illness"
                                : pick == 1
                                        ? "CHIEF  complaint"
                                        : pick == 2
                                                ? "Allergies"
                                                : String.valueOf(alphabet[r.nextInt(alphabet.length)]));
            }
            texts.add(sb.toString());
        }
        for (String t : texts) {
            String expected = reference(t);
            assertEquals(
                    expected,
                    NoteNormalizer.DEFAULT.normalize(t),
                    () -> "differs on "
                            + t.chars().mapToObj(c -> String.format("%04x", c)).toList());
        }
    }
}
