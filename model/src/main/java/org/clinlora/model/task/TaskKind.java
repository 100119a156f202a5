package org.clinlora.model.task;

import java.util.Locale;

/**
 * What an adapter is trained for, in PEFT's words ({@code task_type}). One enum for what used to be five vocabularies:
 * a training job's {@code kind}, a dataset's {@code kind}, the trainer's mode and the adapter's task type all name one
 * of these two.
 *
 * <ul>
 *   <li>{@link #CAUSAL_LM}: the Clinical LoRA, trained as a causal language model on notes (domain adaptation); its
 *       datasets are packed token rows;
 *   <li>{@link #SEQ_CLS}: a Downstream LoRA with the classification head ({@code score}), trained on labelled notes;
 *       its datasets hold one padded row per note.
 * </ul>
 */
public enum TaskKind {
    CAUSAL_LM("domain_adaptation", "causal_lm"),
    SEQ_CLS("downstream", "classification");

    private final String jobKind;
    private final String datasetKind;

    TaskKind(String jobKind, String datasetKind) {
        this.jobKind = jobKind;
        this.datasetKind = datasetKind;
    }

    /** PEFT's {@code task_type} ({@code CAUSAL_LM}, {@code SEQ_CLS}). */
    public String peftTaskType() {
        return name();
    }

    /**
     * A training job's {@code kind} in the REST and Kafka contracts ({@code domain_adaptation}, {@code downstream}).
     */
    public String jobKind() {
        return jobKind;
    }

    /** A dataset manifest's {@code kind} ({@code causal_lm}, {@code classification}). */
    public String datasetKind() {
        return datasetKind;
    }

    /** Any of the three spellings, case and {@code -}/{@code _} aside; anything else is an IllegalArgumentException. */
    public static TaskKind parse(String value) {
        if (value != null) {
            String v = value.strip().toLowerCase(Locale.ROOT).replace('-', '_');
            for (TaskKind k : values()) {
                if (v.equals(k.name().toLowerCase(Locale.ROOT)) || v.equals(k.jobKind) || v.equals(k.datasetKind))
                    return k;
            }
        }
        throw new IllegalArgumentException(
                "kind must be domain_adaptation (CAUSAL_LM) or downstream (SEQ_CLS), got '" + value + "'");
    }
}
