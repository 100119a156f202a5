package org.clinlora.model.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The paper's code's corpus cleaning, rule by rule: MIMIC-III's de-identification brackets and line breaks become
 * spaces and runs of spaces shrink to one; nothing else changes.
 */
class PaperCodeTextTest {
    @Test
    void bracketsAndLineBreaksBecomeSpacesAndRunsOfSpacesOneSpace() {
        // "[**" → " " gives a leading space, which stays: the code trims nothing.
        assertEquals(" Hospital 1 admitted to ICU", PaperCodeText.clean("[**Hospital 1**] admitted\n\nto  ICU"));
        assertEquals(
                "Seen on 2150-1-1 by Dr. Smith ",
                PaperCodeText.clean("Seen on [**2150-1-1**] by Dr. [**Smith**]"),
                "the bracket's contents stay; a closing bracket at the end leaves one space");
    }

    @Test
    void mimicIvPlaceholdersAndOtherCharactersAreUntouched() {
        String note = "Name: ___ Unit No: ___\tAdmission Date: ___ Sex: F. Allergies: Penicillins; *stars* [brackets]";
        assertEquals(note, PaperCodeText.clean(note), "MIMIC-IV's ___ and a text without brackets or breaks");
        assertEquals(
                "No Known Allergies / Adverse Drug Reactions",
                PaperCodeText.clean("No Known Allergies\n/ Adverse Drug Reactions"));
        assertEquals("Case is kept: HTN, CHF", PaperCodeText.clean("Case is kept: HTN, CHF"), "no lowercasing");
    }
}
