package org.clinlora.platform.events;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A dataset's manifest is written and every shard is readable (topic datasets.ready). {@code rows} counts rows per
 * split; {@code manifestSha256} lets a consumer check it reads the manifest this event announced.
 */
public record DatasetReady(
        String type,
        String eventId,
        String occurredAt,
        int schemaVersion,
        String datasetId,
        String kind,
        String model,
        int seqLen,
        Map<String, Long> rows,
        String tokenizerSha256,
        String manifestSha256)
        implements Event {
    public static DatasetReady of(
            String datasetId,
            String kind,
            String model,
            int seqLen,
            Map<String, Long> rows,
            String tokenizerSha256,
            String manifestSha256) {
        return new DatasetReady(
                "DatasetReady",
                UUID.randomUUID().toString(),
                Instant.now().toString(),
                1,
                datasetId,
                kind,
                model,
                seqLen,
                rows,
                tokenizerSha256,
                manifestSha256);
    }
}
