package org.clinlora.platform.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A job spec's architecture-dependent defaults and the full fine-tuning mode, as a caller of POST /v1/jobs meets them.
 */
class JobSpecTest {
    static JobSpec downstream(String mode, String parent, Boolean headOnly, JobSpec.Lora lora) {
        return new JobSpec(
                "j1",
                "downstream",
                "bert-base",
                new JobSpec.Datasets("ds", null, null),
                parent,
                null,
                headOnly,
                "out",
                null,
                lora,
                null,
                1L,
                "cpu",
                "fp32",
                null,
                null,
                mode);
    }

    @Test
    void absentLoraTargetsAreTheBaseArchitecturesWhenTheJobRuns() {
        JobSpec s = downstream(null, null, null, null).withDefaults();
        assertNull(s.lora().targetModules(), "not decided before the base is known");
        assertEquals(
                List.of("query", "value"), s.hyper(List.of("query", "value")).targetModules());
        assertEquals(
                List.of("query", "value"),
                s.withDefaultTargets(List.of("query", "value")).lora().targetModules());
        JobSpec given = downstream(
                        null, null, null, new JobSpec.Lora(null, null, null, List.of("query", "key", "value")))
                .withDefaults();
        assertEquals(
                List.of("query", "key", "value"),
                given.hyper(List.of("q_proj", "v_proj")).targetModules(),
                "given targets win");
        assertFalse(s.fullFineTuning());
    }

    @Test
    void fullFineTuningIsADownstreamModeOnABareBase() {
        assertTrue(downstream("full", null, null, null).withDefaults().fullFineTuning());
        assertTrue(downstream("FULL", null, null, null).withDefaults().fullFineTuning());
        assertEquals(
                "mode must be lora or full, got 'partial'",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> downstream("partial", null, null, null).withDefaults())
                        .getMessage());
        for (JobSpec bad : List.of(
                downstream("full", "clinical@1", null, null),
                downstream("full", null, true, null),
                new JobSpec(
                        "j",
                        "domain_adaptation",
                        "b",
                        new JobSpec.Datasets("ds", null, null),
                        null,
                        null,
                        null,
                        "o",
                        null,
                        null,
                        null,
                        1L,
                        "cpu",
                        "fp32",
                        null,
                        null,
                        "full"))) {
            var e = assertThrows(IllegalArgumentException.class, bad::withDefaults);
            assertTrue(e.getMessage().contains("full fine-tuning"), e.getMessage());
        }
    }
}
