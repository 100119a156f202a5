package org.clinlora.scorer.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.clinlora.model.task.ProblemType;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.limits.SubjectLimits;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.registry.AdapterSource;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.scorer.api.ScoreResource;
import org.clinlora.testing.InMemoryBlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Error precedence: with the base model unavailable (its files gone from the store), a malformed request still gets its
 * 400; only a valid request that cannot be served now gets the 503.
 */
class RequestPrecedenceTest {
    @TempDir
    Path dir;

    ScoreResource resource() {
        AdapterCard card = new AdapterCard(
                1,
                "los",
                1,
                "los",
                "SEQ_CLS",
                List.of("0", "1"),
                ProblemType.SINGLE_LABEL,
                null,
                new AdapterCard.BaseModel("gone", "sha"),
                null,
                List.of(),
                Map.of(),
                Map.of(),
                Map.of(),
                "2026-11-28T00:00:00Z",
                "t");
        AdapterSource registry = new AdapterSource() {
            @Override
            public RegistryClient.Resolved resolve(AdapterRef ref) {
                return new RegistryClient.Resolved("los", 1, card, List.of(card));
            }

            @Override
            public Path download(AdapterCard c, Path to) {
                throw new IllegalStateException("never reached");
            }
        };
        TestScorerConfig config = new TestScorerConfig(Optional.empty(), dir, 128, 64);
        BaseModelBinding binding = new BaseModelBinding(config);
        ScoringModel model = new ScoringModel(new ModelStore(new InMemoryBlobStore()), binding, config);
        AdapterCache cache = new AdapterCache(registry, model, config);
        BatchScheduler scheduler = new BatchScheduler(model, cache, config);
        ScoringService service = new ScoringService(
                new TaskResolver(registry, binding, Duration.ofSeconds(30)), model, cache, scheduler);
        return new ScoreResource(
                service,
                null,
                new ScorerMetrics(new SimpleMeterRegistry(), scheduler, cache, model),
                SubjectLimits.off());
    }

    @Test
    void malformedRequestsAre400EvenWhileTheBaseModelIsUnavailable() {
        ScoreResource r = resource();
        List<ScoreResource.ScoreApiRequest> malformed = List.of(
                new ScoreResource.ScoreApiRequest("los", List.of("chest pain \ud800 fever"), null),
                new ScoreResource.ScoreApiRequest("los", List.of("ok", "\udc00"), null),
                new ScoreResource.ScoreApiRequest("los", null, List.of(new long[] {1, Long.MAX_VALUE})),
                new ScoreResource.ScoreApiRequest("los", null, List.of(new long[] {1, -1})),
                new ScoreResource.ScoreApiRequest("los", null, List.of(new long[] {})),
                new ScoreResource.ScoreApiRequest("Not A Task!", List.of("ok"), null));
        for (ScoreResource.ScoreApiRequest req : malformed) {
            assertThrows(InvalidRequest.class, () -> r.score(req));
        }
        Unavailable valid = assertThrows(
                Unavailable.class,
                () -> r.score(new ScoreResource.ScoreApiRequest("los", List.of("chest pain"), null)));
        assertEquals(
                "base_model_unavailable",
                valid.reason(),
                "a valid request that cannot be served now: " + valid.getMessage());
    }
}
