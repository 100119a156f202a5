package org.clinlora.scorer.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.clinlora.model.task.ProblemType;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.failure.Failure;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.failure.UpstreamFailure;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.registry.AdapterSource;
import org.clinlora.platform.registry.RegistryClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The scorer's task resolution without a registry: caching, alias pinning, and each refusal with its kind. */
class TaskResolverTest {
    static AdapterCard card(String name, int version, String base, List<String> labels, String parent) {
        return new AdapterCard(
                1,
                name,
                version,
                name,
                labels.isEmpty() ? "CAUSAL_LM" : "SEQ_CLS",
                labels,
                labels.isEmpty() ? null : ProblemType.SINGLE_LABEL,
                null,
                new AdapterCard.BaseModel(base, "sha"),
                parent,
                List.of(),
                Map.of(),
                Map.of(),
                Map.of(),
                "2026-11-28T00:00:00Z",
                "test");
    }

    /** A registry with los@1 and los@2 (production → 1) on base "tiny", stacked on clinical@1. */
    static final class FakeRegistry implements AdapterSource {
        final List<String> calls = new ArrayList<>();
        int production = 1;
        RuntimeException fail;
        boolean unreachable;

        @Override
        public RegistryClient.Resolved resolve(AdapterRef ref) throws IOException {
            calls.add(ref.toString());
            if (unreachable) throw new IOException("connection refused");
            if (fail != null) throw fail;
            AdapterCard clinical = card("clinical", 1, "tiny", List.of(), null);
            if (ref.name().equals("clinical"))
                return new RegistryClient.Resolved("clinical", 1, clinical, List.of(clinical));
            if (ref.name().equals("other-base")) {
                AdapterCard c = card("other-base", 1, "llama-7b", List.of("a", "b"), null);
                return new RegistryClient.Resolved(c.name(), 1, c, List.of(c));
            }
            if (!ref.name().equals("los"))
                throw new RegistryClient.RegistryException(404, "no adapter '" + ref.name() + "'");
            int v = ref.isAlias() ? production : ref.version();
            AdapterCard los = card("los", v, "tiny", List.of("0", "1"), "clinical@1");
            return new RegistryClient.Resolved("los", v, los, List.of(clinical, los));
        }

        @Override
        public Path download(AdapterCard card, Path dir) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void aVersionIsResolvedOnceAndAnAliasUntilItsTtlOrAMove() {
        FakeRegistry registry = new FakeRegistry();
        TaskResolver r = new TaskResolver(registry, new BaseModelBinding(Optional.of("tiny")), Duration.ofMinutes(5));
        ScoringTask t = r.resolve("los");
        assertEquals("los@1", t.ref());
        assertEquals(List.of("clinical@1", "los@1"), t.stack());
        r.resolve("los@1");
        r.resolve("los@production");
        assertEquals(List.of("los@production"), registry.calls, "the version and the alias are remembered");

        registry.production = 2;
        assertEquals("los@1", r.resolve("los").ref(), "within its TTL an alias keeps its version");
        r.pin("los", "production", 2);
        assertEquals("los@2", r.resolve("los").ref(), "an AliasMoved pins the new version at once");
    }

    @Test
    void refusalsHaveTheirOwnKindAndReason() {
        FakeRegistry registry = new FakeRegistry();
        TaskResolver r = new TaskResolver(registry, new BaseModelBinding(Optional.of("tiny")), Duration.ofSeconds(30));
        assertFailure(InvalidRequest.class, "invalid_request", () -> r.resolve("Bad Name"));
        assertFailure(NotFound.class, "not_found", () -> r.resolve("nope@1"));
        assertFailure(Unprocessable.class, "not_a_classifier", () -> r.resolve("clinical@1"));
        Conflict wrongBase = assertFailure(Conflict.class, "base_model_mismatch", () -> r.resolve("other-base@1"));
        assertEquals(
                true,
                wrongBase.getMessage().contains("llama-7b")
                        && wrongBase.getMessage().contains("tiny"),
                wrongBase.getMessage());
        registry.fail = new RegistryClient.RegistryException(500, "boom");
        assertFailure(UpstreamFailure.class, "registry_error", () -> r.resolve("los@2"));
        registry.fail = null;
        registry.unreachable = true;
        assertFailure(Unavailable.class, "registry_unavailable", () -> r.resolve("los@3"));
    }

    @Test
    void anUnconfiguredScorerServesTheBaseOfTheFirstAdapterItResolves() {
        FakeRegistry registry = new FakeRegistry();
        BaseModelBinding binding = new BaseModelBinding(Optional.empty());
        TaskResolver r = new TaskResolver(registry, binding, Duration.ofSeconds(30));
        assertEquals(Optional.empty(), binding.current());
        assertEquals(
                "other-base@1", r.resolve("other-base@1").ref(), "no configuration: the adapter's card names the base");
        assertEquals(Optional.of("llama-7b"), binding.current());
        Conflict other = assertFailure(Conflict.class, "base_model_mismatch", () -> r.resolve("los@1"));
        assertTrue(
                other.getMessage().contains("'tiny'") && other.getMessage().contains("'llama-7b'"),
                "names both: " + other.getMessage());
    }

    @Test
    void aForgottenVersionIsResolvedAfresh() {
        FakeRegistry registry = new FakeRegistry();
        TaskResolver r = new TaskResolver(registry, new BaseModelBinding(Optional.of("tiny")), Duration.ofMinutes(5));
        r.resolve("los@1");
        r.forget("los", 1);
        r.resolve("los@1");
        assertEquals(2, registry.calls.size(), "a deleted version is not served from memory");
    }

    @Test
    void tasksOnOneClinicalLoraShareItsCardAndKeepNoTrainingRecord() {
        FakeRegistry registry = new FakeRegistry();
        TaskResolver r = new TaskResolver(registry, new BaseModelBinding(Optional.of("tiny")), Duration.ofMinutes(5));
        ScoringTask one = r.resolve("los@1"), two = r.resolve("los@2");
        assertSame(one.lineage().get(0), two.lineage().get(0), "one clinical@1 card, not a parsed copy per task");
        AdapterCard head = one.card();
        assertEquals(List.of("0", "1"), head.labelNames());
        assertEquals("sha", head.baseModel().sha256());
        assertEquals(Map.of(), head.files(), "the files, whose sha256 every load checks, stay");
        assertNull(head.trainingConfig());
        assertNull(head.metrics());
        assertNull(head.datasetIds());
    }

    @Test
    void aServingCardResolvesTheProblemTypeOlderCardsKeptInTrainingConfig() {
        AdapterCard c = card("old", 1, "tiny", List.of("a", "b"), null);
        AdapterCard old = new AdapterCard(
                1,
                c.name(),
                1,
                c.task(),
                c.taskType(),
                c.labelNames(),
                null,
                null,
                c.baseModel(),
                null,
                List.of("ds"),
                Map.of("problemType", ProblemType.MULTI_LABEL.hfName(), "learningRate", 5e-5),
                Map.of("auroc", 0.9),
                Map.of(),
                c.createdAt(),
                c.publishedBy());
        assertTrue(old.multilabel());
        AdapterCard serving = old.forServing();
        assertTrue(serving.multilabel(), "multi-label survives dropping trainingConfig");
        assertEquals(ProblemType.MULTI_LABEL, serving.problemType());
        assertNull(serving.trainingConfig());
    }

    /** The kind decides the HTTP status (platform's FailureMappers); the reason is what clients switch on. */
    static <F extends Failure> F assertFailure(Class<F> kind, String reason, Executable call) {
        F e = assertThrows(kind, call);
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }
}
