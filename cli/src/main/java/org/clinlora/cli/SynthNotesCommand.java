package org.clinlora.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.clinlora.model.data.SyntheticCorpus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "synth-notes", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Synthetic MIMIC-style notes and the five outcome task files (never real patient data).",
        footer = {"Writes synthetic_discharge.csv.gz and synthetic_radiology.csv.gz (MIMIC-IV-Note columns),",
                "synthetic_{los,mor,pmv,diag,proc}.csv and SYNTHETIC.md."})
final class SynthNotesCommand extends CliCommand {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the folder to write")
    Path out;
    @Option(names = "--patients", defaultValue = "500", description = "patients, 1-3 admissions each (default ${DEFAULT-VALUE})")
    int patients;
    @Option(names = "--signal", defaultValue = "0.9",
            description = "0: cue phrases carry no information about the labels; 1: they name exactly the true labels (default ${DEFAULT-VALUE})")
    double signal;
    @Option(names = "--seed", defaultValue = "0", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Override
    void execute() throws IOException {
        atLeast("--patients", patients, 1);
        atLeast("--seed", seed, 0);
        SyntheticCorpus.Settings s = new SyntheticCorpus.Settings(patients, signal, seed);
        new SyntheticCorpus(s).write(out).forEach((file, n) -> System.out.printf("wrote %s: %d rows%n", out.resolve(file), n));
    }
}
