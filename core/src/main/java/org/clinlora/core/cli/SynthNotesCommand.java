package org.clinlora.core.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import org.clinlora.core.data.SyntheticCorpus;

final class SynthNotesCommand implements Main.Command {
    @Override
    public String usage() {
        return """
                synthetic MIMIC-style notes and the five outcome task files (never real patient data)
                usage: ./clinlora synth-notes --out DIR [--patients N] [--signal X] [--seed N]
                  defaults: 500 patients (1-3 admissions each), signal 0.9 (0: cue phrases carry no information about the
                  labels; 1: they name exactly the true labels), seed 0. Writes synthetic_discharge.csv.gz and synthetic_radiology.csv.gz
                  (MIMIC-IV-Note columns), synthetic_{los,mor,pmv,diag,proc}.csv and SYNTHETIC.md.""";
    }

    @Override
    public void run(String[] argv) throws IOException {
        Args a = new Args(argv, 1, Set.of());
        Path out = Path.of(a.required("out"));
        SyntheticCorpus.Settings s = new SyntheticCorpus.Settings(a.intValue("patients", 500, 1),
                a.doubleValue("signal", 0.9), a.intValue("seed", 0, 0));
        a.rejectUnknown();
        new SyntheticCorpus(s).write(out).forEach((file, n) -> System.out.printf("wrote %s: %d rows%n", out.resolve(file), n));
    }
}
