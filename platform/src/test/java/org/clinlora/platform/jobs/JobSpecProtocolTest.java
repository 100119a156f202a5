package org.clinlora.platform.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import org.clinlora.model.metrics.MulticlassAuroc;
import org.clinlora.model.task.ScoreFunction;
import org.clinlora.model.train.ClassWeighting;
import org.clinlora.model.train.DownstreamProtocol;
import org.clinlora.model.train.Hyperparameters;
import org.clinlora.model.train.ModelSelection;
import org.clinlora.model.train.Stacking;
import org.junit.jupiter.api.Test;

/**
 * A training job's downstream protocol and step-counted warm-up, as a caller of POST /v1/jobs meets them: what an
 * absent protocol completes to, how it meets the older {@code selectBestEpoch}, what is refused, and that the completed
 * spec (what is stored and what a resumed job runs) survives JSON.
 */
class JobSpecProtocolTest {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private static final List<String> LLAMA = List.of("q_proj", "v_proj");

    static JobSpec spec(String kind, Boolean selectBestEpoch, JobSpec.Optim optim, JobSpec.Protocol protocol) {
        return new JobSpec(
                "j1",
                kind,
                "llama",
                new JobSpec.Datasets("ds", null, null),
                kind.equals("downstream") ? "clinical@1" : null,
                kind.equals("downstream") ? Boolean.FALSE : null,
                null,
                "out",
                null,
                null,
                optim,
                1L,
                "cpu",
                "fp32",
                null,
                selectBestEpoch,
                null,
                protocol);
    }

    static JobSpec downstream(Boolean selectBestEpoch, JobSpec.Protocol protocol) {
        return spec("downstream", selectBestEpoch, null, protocol);
    }

    static JobSpec.Optim warmup(Double ratio, Double steps) {
        return new JobSpec.Optim(null, ratio, null, null, null, null, null, null, steps);
    }

    private static String refusal(JobSpec s) {
        return assertThrows(IllegalArgumentException.class, s::withDefaults).getMessage();
    }

    @Test
    void aDownstreamJobWithoutAProtocolRunsThisProjectsAndNamesEveryChoice() {
        JobSpec s = downstream(null, null).withDefaults();
        assertEquals(new JobSpec.Protocol("none", "best-validation-auroc", "ovr", "sigmoid", "sum"), s.protocol());
        assertTrue(s.selectBestEpoch());
        assertEquals(DownstreamProtocol.DEFAULT, s.downstreamProtocol());

        JobSpec last = downstream(false, null).withDefaults();
        assertEquals("last-epoch", last.protocol().selection(), "the older shorthand still picks the epoch");
        assertFalse(last.selectBestEpoch());
        assertEquals(ModelSelection.LAST_EPOCH, last.downstreamProtocol().selection());
    }

    @Test
    void theChoicesGivenAreKeptAndTheRestCompleted() {
        JobSpec s = downstream(
                        null,
                        new JobSpec.Protocol("inverse-frequency", "lowest-validation-loss", "ovo", null, "active-only"))
                .withDefaults();
        assertEquals(
                new JobSpec.Protocol("inverse-frequency", "lowest-validation-loss", "ovo", "sigmoid", "active-only"),
                s.protocol());
        assertTrue(s.selectBestEpoch(), "a validation-scored selection keeps the shorthand true");
        DownstreamProtocol p = s.downstreamProtocol();
        assertEquals(ClassWeighting.INVERSE_FREQUENCY, p.classWeighting());
        assertEquals(ModelSelection.LOWEST_VALIDATION_LOSS, p.selection());
        assertEquals(MulticlassAuroc.OVO, p.multiclassAuroc());
        assertEquals(ScoreFunction.SIGMOID, p.multilabelScores());
        assertEquals(Stacking.ACTIVE_ONLY, p.stacking());

        JobSpec agreeing = downstream(false, new JobSpec.Protocol(null, "last-epoch", null, null, null));
        assertEquals("last-epoch", agreeing.withDefaults().protocol().selection(), "saying it twice is no conflict");
    }

    @Test
    void aProtocolThatContradictsItselfOrDoesNotApplyIsRefused() {
        // selectBestEpoch says whether a validation-scored epoch is kept; only the last epoch contradicts true.
        String both = refusal(downstream(true, new JobSpec.Protocol(null, "last-epoch", null, null, null)));
        assertTrue(both.contains("selectBestEpoch") && both.contains("protocol.selection"), both);
        String bestVsLast =
                refusal(downstream(false, new JobSpec.Protocol(null, "lowest-validation-loss", null, null, null)));
        assertTrue(bestVsLast.contains("selectBestEpoch") && bestVsLast.contains("lowest-validation-loss"), bestVsLast);
        JobSpec byLoss = downstream(true, new JobSpec.Protocol(null, "lowest-validation-loss", null, null, null));
        assertEquals(
                "lowest-validation-loss",
                byLoss.withDefaults().protocol().selection(),
                "the completed spec's own pair (true, lowest-validation-loss) is accepted");

        String da = refusal(spec("domain_adaptation", null, null, new JobSpec.Protocol(null, null, null, null, "sum")));
        assertTrue(da.contains("protocol is for downstream jobs"), da);

        String stacking = refusal(downstream(null, new JobSpec.Protocol(null, null, null, null, "nested")));
        assertTrue(stacking.startsWith("protocol.") && stacking.contains("nested"), stacking);
        String selection = refusal(downstream(null, new JobSpec.Protocol(null, "best-test", null, null, null)));
        assertTrue(selection.startsWith("protocol.selection"), selection);
        String weighting = refusal(downstream(null, new JobSpec.Protocol("balanced", null, null, null, null)));
        assertTrue(weighting.startsWith("protocol."), weighting);
    }

    @Test
    void aDomainAdaptationJobHasNoProtocol() {
        JobSpec s = spec("domain_adaptation", null, null, null).withDefaults();
        assertNull(s.protocol());
        assertFalse(s.selectBestEpoch());
        assertEquals(DownstreamProtocol.DEFAULT, s.downstreamProtocol());
    }

    @Test
    void warmupCanBeCountedInStepsLikeTransformersTakesIt() {
        JobSpec s = spec("downstream", null, warmup(null, 0.06), null).withDefaults();
        assertNull(s.optim().warmupRatio(), "the stored spec names one warm-up, the one that applies");
        Hyperparameters h = s.hyper(LLAMA);
        assertEquals(0.06, h.warmupSteps());
        assertEquals(0.06, h.warmupSteps(500), "that many steps whatever the run's length, not a share of it");

        Hyperparameters ratio =
                spec("downstream", null, warmup(0.1, null), null).withDefaults().hyper(LLAMA);
        assertNull(ratio.warmupSteps());
        assertEquals(Math.ceil(0.1 * 500), ratio.warmupSteps(500));

        String both = refusal(spec("downstream", null, warmup(0.1, 0.06), null));
        assertTrue(both.contains("warmupRatio") && both.contains("warmupSteps"), both);
        String negative = refusal(spec("domain_adaptation", null, warmup(null, -1.0), null));
        assertTrue(negative.contains("warmup steps"), negative);
    }

    @Test
    void theCompletedSpecSurvivesJsonWithItsProtocol() throws IOException {
        for (JobSpec given : List.of(
                downstream(null, null),
                downstream(
                        null,
                        new JobSpec.Protocol(
                                "inverse-frequency", "lowest-validation-loss", "ovo", "softmax", "active-only")),
                spec("downstream", false, warmup(null, 0.06), null),
                spec("domain_adaptation", null, warmup(null, 0.06), null))) {
            JobSpec completed = given.withDefaults();
            String json = JSON.writeValueAsString(completed);
            JobSpec back = JSON.readValue(json, JobSpec.class);
            assertEquals(completed, back, json);
            assertEquals(completed.downstreamProtocol(), back.downstreamProtocol(), json);
            assertEquals(completed.hyper(LLAMA), back.hyper(LLAMA), json);
        }
        String json = JSON.writeValueAsString(downstream(null, null).withDefaults());
        assertTrue(json.contains("\"protocol\":{"), "the stored spec names its protocol: " + json);
        assertTrue(json.contains("\"selection\":\"best-validation-auroc\""), json);
    }

    @Test
    void completingACompletedSpecChangesNothing() {
        for (JobSpec given : List.of(
                downstream(null, null),
                downstream(false, null),
                downstream(null, new JobSpec.Protocol(null, "lowest-validation-loss", null, "softmax", null)),
                spec("downstream", null, warmup(null, 0.06), null))) {
            JobSpec completed = given.withDefaults();
            assertEquals(completed, completed.withDefaults(), "a stored spec sent again is the same job");
        }
    }
}
