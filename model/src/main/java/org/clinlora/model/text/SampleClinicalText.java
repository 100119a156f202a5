package org.clinlora.model.text;

import java.util.SplittableRandom;

/**
 * Seeded, made-up clinical prose (never real patient data) for learning the vocabulary of tiny test models. The full
 * synthetic MIMIC-style corpus with planted labels lives in the data package.
 */
public final class SampleClinicalText {
    private static final String[] SECTIONS = {
        "Chief Complaint:",
        "History of Present Illness:",
        "Past Medical History:",
        "Brief Hospital Course:",
        "Discharge Diagnosis:",
        "Discharge Medications:",
        "IMPRESSION:",
        "FINDINGS:"
    };
    private static final String[] SUBJECTS = {"The patient", "She", "He", "Pt", "The ___ year old", "Patient"};
    private static final String[] VERBS = {
        "presented with",
        "denies",
        "reports",
        "was admitted for",
        "was treated for",
        "has a history of",
        "was started on",
        "was intubated for",
        "developed",
        "was discharged with"
    };
    private static final String[] FINDINGS = {
        "chest pain",
        "shortness of breath",
        "fever",
        "hypotension",
        "sepsis",
        "pneumonia",
        "acute kidney injury",
        "atrial fibrillation",
        "congestive heart failure",
        "COPD exacerbation",
        "hyperkalemia",
        "diabetic ketoacidosis",
        "GI bleed",
        "altered mental status",
        "pleural effusion",
        "cardiomegaly",
        "pulmonary edema",
        "urinary tract infection",
        "respiratory failure",
        "hypertension"
    };
    private static final String[] DETAILS = {
        "on ___",
        "for 3 days",
        "since admission",
        "with troponin 0.04",
        "BP 90/60",
        "HR 112",
        "SpO2 91% on RA",
        "Cr 2.1 from baseline 1.0",
        "WBC 14.2",
        "lactate 3.4",
        "no acute distress",
        "per ED report",
        "s/p CABG",
        "on vancomycin and zosyn",
        "metoprolol 25 mg PO BID"
    };

    private SampleClinicalText() {}

    /** {@code sentences} sentences of note-like text from {@code seed}. */
    public static String generate(long seed, int sentences) {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < sentences; i++) {
            if (i % 6 == 0) sb.append(pick(r, SECTIONS)).append(' ');
            sb.append(pick(r, SUBJECTS))
                    .append(' ')
                    .append(pick(r, VERBS))
                    .append(' ')
                    .append(pick(r, FINDINGS));
            if (r.nextInt(3) > 0) sb.append(' ').append(pick(r, DETAILS));
            if (r.nextInt(4) == 0) sb.append(" and ").append(pick(r, FINDINGS));
            sb.append(". ");
        }
        return sb.toString().trim();
    }

    private static String pick(SplittableRandom r, String[] xs) {
        return xs[r.nextInt(xs.length)];
    }
}
