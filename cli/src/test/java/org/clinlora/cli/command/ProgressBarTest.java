package org.clinlora.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test
    void aLineShowsTheFractionTheCountsWhatElseAndTheEta() {
        assertEquals(
                "job [###############...............]  50%  9/18  loss 1.2000  ETA 1:05",
                ProgressBar.line("job", 0.5, 9, 18, 65, "loss 1.2000"));
        assertEquals(
                "x [..............................]   0%  0/0  ETA --:--",
                ProgressBar.line("x", 0, 0, 0, Double.NaN, null));
        assertEquals("1:01:01", ProgressBar.duration(3661));
    }

    @Test
    void withoutATerminalItPrintsALineEveryTenthAtMost() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar("run", new PrintStream(b, true));
        for (int i = 0; i <= 200; i++) bar.update(i, 200, 10, null);
        bar.done("done");
        long lines = b.toString().lines().count();
        assertTrue(lines <= 12 && lines >= 10, b.toString());
    }
}
