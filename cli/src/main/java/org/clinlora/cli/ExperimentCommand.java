package org.clinlora.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.clinlora.cli.client.LocalBucket;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.cli.experiment.Experiment;
import org.clinlora.cli.experiment.ExperimentConfig;
import org.clinlora.cli.experiment.ExperimentPublisher;
import org.clinlora.cli.experiment.ExperimentReport;
import org.clinlora.platform.store.ExperimentManifest;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
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
            "datasets/, adapters/; a folder of the same config is reused (model, corpus, datasets), another config's is refused.",
            "--publish: then results.md, results.csv, config.json and figures/ go to the bucket (CLINLORA_S3_*) under",
            "experiments/<name>/, where the console lists them (docs/EXPERIMENT.md, \"Publishing\")."
        })
final class ExperimentCommand extends CliCommand {
    @Option(names = "--config", required = true, paramLabel = "FILE.json", description = "the experiment config")
    Path configFile;

    @Option(names = "--out", paramLabel = "DIR", description = "the output folder (default .run/experiments/<name>)")
    Path outDir;

    @Option(
            names = "--publish",
            description = "after the run, store its results in the bucket under experiments/<name>/ for the console")
    boolean publish;

    @Option(
            names = "--publish-only",
            description = "publish the output folder of an earlier run as it is, without running anything")
    boolean publishOnly;

    @Option(
            names = "--replace",
            description = "publishing may overwrite another experiment (another config) of the same name")
    boolean replace;

    @Override
    protected void execute() throws IOException {
        ExperimentConfig config = ExperimentConfig.read(configFile);
        String root = System.getenv().getOrDefault("CLINLORA_ROOT", ".");
        Path out = outDir != null ? outDir : Path.of(root, ".run", "experiments", config.name());
        // Where it will go is checked first: a run of hours is not lost to a bad name or a missing bucket at its end.
        ObjectStore store = null;
        if (publish || publishOnly) {
            ExperimentPublisher.checkName(config.name());
            store = LocalBucket.open();
        }
        if (!publishOnly) run(config, out);
        if (store != null) publish(store, config.name(), out);
    }

    private void publish(ObjectStore store, String name, Path out) throws IOException {
        ExperimentManifest m = new ExperimentPublisher(store).publish(name, out, replace);
        System.out.printf(
                "published %d files of %s as %s in bucket %s (%d result rows); the console shows it at"
                        + " /experiments/%s%n",
                m.files().size(),
                out,
                StoreLayout.experiment(name),
                LocalBucket.settings().bucket(),
                m.rows(),
                name);
    }

    private static void run(ExperimentConfig config, Path out) throws IOException {
        long t0 = System.nanoTime();
        ExperimentReport report = new Experiment(config, out, System.out).run();
        System.out.println();
        System.out.print(report.markdown());
        System.out.printf(
                "%nexperiment finished in %.1f min; results in %s and %s%n",
                (System.nanoTime() - t0) / 6e10, out.resolve("results.md"), out.resolve("results.csv"));
    }
}
