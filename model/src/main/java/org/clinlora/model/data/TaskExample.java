package org.clinlora.model.data;

import java.util.List;

/**
 * One row of an outcome-prediction task file: an id, the admission-note text, the patient (when known, for the split)
 * and its labels — a single class for length of stay, mortality and mechanical ventilation, a list of ICD-9 codes for
 * diagnoses and procedures.
 */
public record TaskExample(String id, String subjectId, String text, List<String> labels) {}
