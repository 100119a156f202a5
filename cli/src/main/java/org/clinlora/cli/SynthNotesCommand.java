package org.clinlora.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.model.data.SyntheticCorpus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "synth-notes",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description = "Synthetic MIMIC-style notes and the five outcome task files (never real patient data).",
        footer = {
            "Writes synthetic_discharge.csv.gz and synthetic_radiology.csv.gz (MIMIC-IV-Note columns),",
            "synthetic_{los,mor,pmv,diag,proc}.csv and SYNTHETIC.md.",
            "--recipes also writes the tasks as the paper's data recipes do: core/{LOS_WEEKS,MP_IN,DIA_PLUS,PRO_PLUS}_adm_{train,val,test}.csv",
            "and beep/pmv_{train,dev,test}.csv (patients split 70/10/20 once, no subject_id).",
            "--discharge N [--radiology M] instead writes a corpus of that size, streamed: discharge.csv.gz and radiology.csv.gz."
        })
final class SynthNotesCommand extends CliCommand {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the folder to write")
    Path out;

    @Option(
            names = "--patients",
            defaultValue = "500",
            description = "patients, 1-3 admissions each (default ${DEFAULT-VALUE})")
    int patients;

    @Option(
            names = "--signal",
            defaultValue = "0.9",
            description =
                    "0: cue phrases carry no information about the labels; 1: they name exactly the true labels (default ${DEFAULT-VALUE})")
    double signal;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--recipes", description = "also write the tasks in the CORe and BEEP recipes' files and columns")
    boolean recipes;

    @Option(
            names = "--discharge",
            paramLabel = "N",
            description = "write a note corpus of N discharge summaries (no task files)")
    Long discharge;

    @Option(
            names = "--radiology",
            paramLabel = "M",
            defaultValue = "0",
            description = "with --discharge: M radiology reports (default ${DEFAULT-VALUE})")
    long radiology;

    @Override
    protected void execute() throws IOException {
        atLeast("--patients", patients, 1);
        atLeast("--seed", seed, 0);
        SyntheticCorpus corpus = new SyntheticCorpus(new SyntheticCorpus.Settings(patients, signal, seed));
        if (discharge != null) {
            atLeast("--discharge", discharge, 1);
            atLeast("--radiology", radiology, 0);
            if (recipes)
                throw new IllegalArgumentException("--recipes goes with the task corpus, not with --discharge");
            long t0 = System.nanoTime();
            long bytes = corpus.writeNotes(out, discharge, radiology);
            System.out.printf(
                    "wrote %s and %s: %d + %d notes, %.1f MB of note text, in %.0f s%n",
                    out.resolve("discharge.csv.gz"),
                    out.resolve("radiology.csv.gz"),
                    discharge,
                    radiology,
                    bytes / 1e6,
                    (System.nanoTime() - t0) / 1e9);
            return;
        }
        corpus.write(out).forEach((file, n) -> System.out.printf("wrote %s: %d rows%n", out.resolve(file), n));
        if (recipes)
            corpus.writeRecipes(out)
                    .forEach((file, n) -> System.out.printf("wrote %s: %d rows%n", out.resolve(file), n));
    }
}
