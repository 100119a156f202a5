package org.clinlora.tokenizer.datasets;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;

/**
 * A dataset build as stored under {@code dataset-jobs/{id}.json}: the completed spec, the status ({@code queued →
 * building → ready | failed}), why it failed, and at the end the counts and the manifest's sha256. {@code progress} is
 * live while this process builds it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DatasetJob(
        String datasetId,
        String status,
        String reason,
        DatasetSpec spec,
        String uploadSha256,
        String createdAt,
        String updatedAt,
        Progress progress,
        Map<String, Object> counts,
        String manifestSha256) {
    public static final String QUEUED = "queued", BUILDING = "building", READY = "ready", FAILED = "failed";

    /** Notes read so far, of how many (when known), bytes of the sources read, rows skipped as malformed. */
    public record Progress(
            long notesRead, Long notesTotal, long bytesRead, Long bytesTotal, long skippedRows, Double fraction) {}

    static DatasetJob queued(DatasetSpec spec, String uploadSha256) {
        String now = Instant.now().toString();
        return new DatasetJob(spec.datasetId(), QUEUED, null, spec, uploadSha256, now, now, null, null, null);
    }

    public boolean finished() {
        return READY.equals(status) || FAILED.equals(status);
    }

    DatasetJob with(String newStatus, String newReason) {
        return new DatasetJob(
                datasetId,
                newStatus,
                newReason,
                spec,
                uploadSha256,
                createdAt,
                Instant.now().toString(),
                null,
                counts,
                manifestSha256);
    }

    DatasetJob ready(Map<String, Object> newCounts, String sha256) {
        return new DatasetJob(
                datasetId,
                READY,
                null,
                spec,
                uploadSha256,
                createdAt,
                Instant.now().toString(),
                null,
                newCounts,
                sha256);
    }

    DatasetJob withProgress(Progress p) {
        return new DatasetJob(
                datasetId, status, reason, spec, uploadSha256, createdAt, updatedAt, p, counts, manifestSha256);
    }
}
