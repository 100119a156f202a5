package org.clinlora.trainer.jobs;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.jobs.JobSpec;
import org.clinlora.platform.search.SortKey;
import org.clinlora.platform.search.TimeRange;

/**
 * A search over training jobs, what {@code GET /v1/jobs} takes in its query (the runs table of MLflow or W&B): words
 * found in a job's names ({@code q}: job id, output name, task, base model, datasets, parent, published adapter), exact
 * task, base model, kind and statuses, a creation-time range, and the order. Every field absent matches every job; a
 * value that cannot match anything (an unknown status or kind) is a 400 rather than an empty answer.
 */
public record JobQuery(
        String text,
        String task,
        String baseModel,
        Set<String> statuses,
        String kind,
        TimeRange created,
        SortKey sort) {

    /** What {@code sort} may name besides {@code metrics.<name>}. */
    public static final Set<String> SORT_FIELDS =
            Set.of("createdAt", "updatedAt", "jobId", "status", "task", "baseModel");

    static final Set<String> STATUSES = Set.of(
            TrainingJob.QUEUED, TrainingJob.RUNNING, TrainingJob.SUCCEEDED, TrainingJob.FAILED, TrainingJob.CANCELLED);
    static final Set<String> KINDS = Set.of("domain_adaptation", "downstream");

    /** Every job, newest first. */
    public static final JobQuery ALL =
            new JobQuery(null, null, null, Set.of(), null, TimeRange.ALL, new SortKey("createdAt", null, true));

    /** The query parameters as sent; blank ones are absent. */
    public static JobQuery parse(
            String q,
            String task,
            String base,
            List<String> statuses,
            String kind,
            String since,
            String until,
            String sort,
            String order) {
        Set<String> wanted = new TreeSet<>();
        for (String s : statuses == null ? List.<String>of() : statuses) {
            for (String one : s.split(",")) {
                String st = one.strip().toLowerCase(Locale.ROOT);
                if (st.isEmpty()) continue;
                if (!STATUSES.contains(st))
                    throw new InvalidRequest("status must be among " + String.join(", ", sorted(STATUSES)));
                wanted.add(st);
            }
        }
        String k = blank(kind) ? null : kind.strip().toLowerCase(Locale.ROOT);
        if (k != null && !KINDS.contains(k)) throw new InvalidRequest("kind must be domain_adaptation or downstream");
        return new JobQuery(
                blank(q) ? null : q.strip().toLowerCase(Locale.ROOT),
                blank(task) ? null : task.strip(),
                blank(base) ? null : base.strip(),
                Set.copyOf(wanted),
                k,
                TimeRange.parse(since, until),
                SortKey.parse(sort, order, SORT_FIELDS, "createdAt"));
    }

    public boolean matches(TrainingJob job) {
        JobSpec spec = job.spec();
        if (!statuses.isEmpty() && !statuses.contains(job.status())) return false;
        if (task != null && (spec == null || !task.equals(spec.task()))) return false;
        if (baseModel != null && (spec == null || !baseModel.equals(spec.baseModel()))) return false;
        if (kind != null && (spec == null || !kind.equals(spec.kind()))) return false;
        if (!created.contains(job.createdAt())) return false;
        return text == null
                || words(job).anyMatch(w -> w.toLowerCase(Locale.ROOT).contains(text));
    }

    /** The order the query asks for; equal jobs newest first, then by id, so pages never overlap. */
    public Comparator<TrainingJob> order() {
        Map<String, Function<TrainingJob, Comparable<?>>> fields = new LinkedHashMap<>();
        fields.put("createdAt", TrainingJob::createdAt);
        fields.put("updatedAt", TrainingJob::updatedAt);
        fields.put("jobId", TrainingJob::jobId);
        fields.put("status", TrainingJob::status);
        fields.put("task", j -> j.spec() == null ? null : j.spec().task());
        fields.put("baseModel", j -> j.spec() == null ? null : j.spec().baseModel());
        Comparator<TrainingJob> tie = Comparator.comparing(
                        TrainingJob::createdAt, Comparator.nullsLast(Comparator.<String>reverseOrder()))
                .thenComparing(TrainingJob::jobId);
        return sort.comparator(fields, TrainingJob::metrics, tie);
    }

    /** The names a job is found by. */
    private static Stream<String> words(TrainingJob job) {
        List<String> w = new ArrayList<>();
        w.add(job.jobId());
        w.add(job.adapter());
        w.add(job.model());
        w.add(job.parent());
        JobSpec s = job.spec();
        if (s != null) {
            w.addAll(List.of(nonNull(s.outputName()), nonNull(s.task()), nonNull(s.baseModel()), nonNull(s.parent())));
            if (s.datasets() != null)
                w.addAll(List.of(
                        nonNull(s.datasets().train()),
                        nonNull(s.datasets().validation()),
                        nonNull(s.datasets().test())));
        }
        return w.stream().filter(x -> x != null && !x.isEmpty());
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static List<String> sorted(Set<String> s) {
        return s.stream().sorted().toList();
    }
}
