package org.clinlora.platform.events;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The event records and their names: the record's simple name (the {@code type} field of today's envelope) and the
 * CloudEvents {@code type} ({@code org.clinlora.<noun>.<verb>}), with the {@code subject} each event is about — the
 * adapter reference, job, dataset, request or note it concerns — so a consumer can filter on headers alone.
 */
final class EventTypes {
    /** One event record: its class, its CloudEvents type, and how to read its subject. */
    record Kind<E extends Event>(Class<E> record, String cloudEventType, Function<E, String> subject) {
        String subjectOf(Event e) {
            return subject.apply(record.cast(e));
        }
    }

    static final String PREFIX = "org.clinlora.";

    private static final List<Kind<?>> KINDS = List.of(
            new Kind<>(AdapterPublished.class, PREFIX + "adapter.published", e -> e.name() + "@" + e.version()),
            new Kind<>(AdapterDeleted.class, PREFIX + "adapter.deleted", e -> e.name() + "@" + e.version()),
            new Kind<>(AliasMoved.class, PREFIX + "alias.moved", e -> e.name() + "@" + e.alias()),
            new Kind<>(DatasetReady.class, PREFIX + "dataset.ready", DatasetReady::datasetId),
            new Kind<>(ClinicalNote.class, PREFIX + "note.submitted", ClinicalNote::noteId),
            new Kind<>(
                    TrainingRequest.class,
                    PREFIX + "training.requested",
                    e -> e.spec() == null ? null : e.spec().jobId()),
            new Kind<>(TrainingProgress.class, PREFIX + "training.progressed", TrainingProgress::jobId),
            new Kind<>(TrainingCompleted.class, PREFIX + "training.completed", TrainingCompleted::jobId),
            new Kind<>(TrainingFailed.class, PREFIX + "training.failed", TrainingFailed::jobId),
            new Kind<>(ScoreRequest.class, PREFIX + "score.requested", ScoreRequest::requestId),
            new Kind<>(ScoreResult.class, PREFIX + "score.answered", ScoreResult::requestId));

    private static final Map<String, Kind<?>> BY_NAME = new HashMap<>();
    private static final Map<String, Kind<?>> BY_CLOUD_EVENT_TYPE = new HashMap<>();
    private static final Map<Class<?>, Kind<?>> BY_CLASS = new HashMap<>();

    static {
        for (Kind<?> k : KINDS) {
            BY_NAME.put(k.record().getSimpleName(), k);
            BY_CLOUD_EVENT_TYPE.put(k.cloudEventType(), k);
            BY_CLASS.put(k.record(), k);
        }
    }

    private EventTypes() {}

    /** Every event record, in the order above. */
    static List<Kind<?>> all() {
        return KINDS;
    }

    /** The kind named by today's envelope {@code type} field ({@code AdapterPublished}), or null. */
    static Kind<?> byName(String name) {
        return BY_NAME.get(name);
    }

    /** The kind of a CloudEvents {@code type} ({@code org.clinlora.adapter.published}), or null. */
    static Kind<?> byCloudEventType(String type) {
        return BY_CLOUD_EVENT_TYPE.get(type);
    }

    static Kind<?> of(Event e) {
        Kind<?> k = BY_CLASS.get(e.getClass());
        if (k == null)
            throw new IllegalArgumentException(
                    "not an event record: " + e.getClass().getName());
        return k;
    }
}
