package org.clinlora.core.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import org.clinlora.core.experiment.Experiment;
import org.clinlora.core.experiment.ExperimentConfig;
import org.clinlora.core.experiment.ExperimentReport;

/** {@code ./clinlora experiment}: the paper's four variants per task, with a results table (see README "The experiment"). */
final class ExperimentCommand implements Main.Command {
    @Override
    public String usage() {
        return """
                the paper's comparison per task: Downstream LoRA on the bare base, head only, Clinical LoRA frozen or trainable + Downstream LoRA
                usage: ./clinlora experiment --config FILE.json [--out DIR]
                  FILE: see experiments/synthetic.json (the default synthetic corpus) and experiments/mimic-iv.json (real data)
                  DIR (default .run/experiments/<name>): results.md and results.csv (rewritten after every run), config.json,
                  datasets/, adapters/; a folder of the same config is reused (model, corpus, datasets), another config's is refused""";
    }

    @Override
    public void run(String[] argv) throws IOException {
        Args a = new Args(argv, 1, Set.of());
        ExperimentConfig config = ExperimentConfig.read(Path.of(a.required("config")));
        String root = System.getenv().getOrDefault("CLINLORA_ROOT", ".");
        Path out = Path.of(a.optional("out", Path.of(root, ".run", "experiments", config.name()).toString()));
        a.rejectUnknown();
        long t0 = System.nanoTime();
        ExperimentReport report = new Experiment(config, out, System.out).run();
        System.out.println();
        System.out.print(report.markdown());
        System.out.printf("%nexperiment finished in %.1f min; results in %s and %s%n", (System.nanoTime() - t0) / 6e10,
                out.resolve("results.md"), out.resolve("results.csv"));
    }
}
