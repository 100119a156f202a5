package org.clinlora.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.clinlora.platform.api.Problem;
import org.junit.jupiter.api.Test;

/** What the command line prints for a service's refusal: the sentence, and the trace id to look the request up by. */
class RefusalsTest {
    @Test
    void aProblemIsItsDetailAndItsTraceId() {
        String body = Problem.of(
                        409,
                        "file_mismatch",
                        "model x already exists with other files",
                        "/v1/models/x/upload",
                        "abc123")
                .toJson();
        assertEquals("model x already exists with other files (trace abc123)", Refusals.describe(409, body));
    }

    @Test
    void theShapeBeforeProblemsAndPlainTextAreReadToo() {
        assertEquals(
                "no such adapter",
                Refusals.describe(
                        404, "{\"error\":\"not_found\",\"reason\":\"unknown\",\"message\":\"no such adapter\"}"));
        assertEquals("upstream timed out", Refusals.describe(504, "upstream timed out".getBytes()));
        assertEquals("Bad Gateway", Refusals.describe(502, ""));
    }
}
