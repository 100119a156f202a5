package org.clinlora.trainer.jobs;

import java.util.List;

/**
 * One page of a job search ({@code GET /v1/jobs}): the jobs in the asked order, how many matched in all, and the
 * {@code offset} of the next page (null on the last one).
 */
public record JobPage(List<TrainingJob> jobs, int total, Integer nextOffset) {}
