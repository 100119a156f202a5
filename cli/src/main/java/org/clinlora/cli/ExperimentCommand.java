package org.clinlora.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.cli.experiment.Experiment;
import org.clinlora.cli.experiment.ExperimentConfig;
import org.clinlora.cli.experiment.ExperimentReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./clinlora experiment}: the paper's four variants per task, with a results table (see README "The
 * experiment").
 */
@Command(
        name = "experiment",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description =
                "The paper's comparison per task: Downstream LoRA on the bare base, head only, Clinical LoRA frozen or trainable + Downstream LoRA.",
        footer = {
            "FILE: see experiments/synthetic.json (the synthetic corpus), experiments/synthetic-recipes.json (the same in the CORe/BEEP file layouts, 3 seeds) and experiments/mimic-iv.json (the paper's protocol on real data; docs/EXPERIMENT.md).",
            "DIR (default .run/experiments/<name>): results.md and results.csv (rewritten after every run), config.json,",
            "datasets/, adapters/; a folder of the same config is reused (model, corpus, datasets), another config's is refused."
        })
final class ExperimentCommand extends CliCommand {
    @Option(names = "--config", required = true, paramLabel = "FILE.json", description = "the experiment config")
    Path configFile;

    @Option(names = "--out", paramLabel = "DIR", description = "the output folder (default .run/experiments/<name>)")
    Path outDir;

    @Override
    protected void execute() throws IOException {
        ExperimentConfig config = ExperimentConfig.read(configFile);
        String root = System.getenv().getOrDefault("CLINLORA_ROOT", ".");
        Path out = outDir != null ? outDir : Path.of(root, ".run", "experiments", config.name());
        long t0 = System.nanoTime();
        ExperimentReport report = new Experiment(config, out, System.out).run();
        System.out.println();
        System.out.print(report.markdown());
        System.out.printf(
                "%nexperiment finished in %.1f min; results in %s and %s%n",
                (System.nanoTime() - t0) / 6e10, out.resolve("results.md"), out.resolve("results.csv"));
    }
}
