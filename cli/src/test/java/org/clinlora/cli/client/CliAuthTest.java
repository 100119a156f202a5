package org.clinlora.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CliAuthTest {
    @Test
    void withoutCLINLORA_TOKENTheDevelopmentTokenIsAnnouncedOnceOnStderr() {
        assumeTrue(System.getenv(CliAuth.TOKEN_VARIABLE) == null, "runs where CLINLORA_TOKEN is not set");
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            CliAuth.forget();
            String first = CliAuth.token();
            String second = CliAuth.token();
            assertEquals(first, second, "one token per process");
        } finally {
            System.setErr(err);
        }
        String said = captured.toString(StandardCharsets.UTF_8);
        assertEquals(
                1,
                said.lines()
                        .filter(l -> l.contains("CLINLORA_TOKEN is not set"))
                        .count(),
                said);
        assertEquals(true, said.contains("every role"), said);
    }
}
