package org.clinlora.model.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NoteNormalizerTest {
    static final String RAW = "CHIEF COMPLAINT :  chest\tpain\r\n\r\n\r\n\r\nhistory of present illness: ______ yo  M \u00A0 with CP.   \n"
            + "Dose: 5 mg\nIMPRESSION:No acute process.";

    @Test
    void placeholdersWhitespaceAndHeadersBecomeConsistentWithoutChangingWords() {
        assertEquals("Chief Complaint: chest pain\n\nHistory of Present Illness: ___ yo M with CP.\n"
                + "Dose: 5 mg\nImpression:No acute process.", NoteNormalizer.DEFAULT.normalize(RAW));
    }

    @Test
    void eachStepCanBeTurnedOffAndNoneKeepsTheTextButItsLineEndings() {
        assertEquals(RAW.replace("\r\n", "\n"), NoteNormalizer.NONE.normalize(RAW));
        String deidOnly = new NoteNormalizer(true, false, false).normalize("a ______ b ____ c __ d");
        assertEquals("a ___ b ___ c __ d", deidOnly);
        assertEquals("{deidPlaceholder=true, whitespace=true, sectionHeaders=true}", NoteNormalizer.DEFAULT.describe().toString());
    }
}
