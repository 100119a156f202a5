package org.clinlora.model.data;

/** A MIMIC-IV-Note row (discharge summary or radiology report); subject_id keys the patient-level split. */
public record Note(String noteId, String subjectId, String hadmId, String noteType, int noteSeq, String text) {}
