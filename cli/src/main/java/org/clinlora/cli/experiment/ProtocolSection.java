package org.clinlora.cli.experiment;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.clinlora.cli.experiment.ExperimentConfig.Stage;
import org.clinlora.cli.experiment.ExperimentReport.Run;
import org.clinlora.cli.experiment.ExperimentReport.TaskData;
import org.clinlora.model.train.Hyperparameters;
import org.clinlora.model.train.Trainer;

/**
 * The parts of results.md that say how the experiment was run and what to distrust: the protocol, knob by knob, and the
 * notices — a stage with too few optimizer steps or a dropped accumulation window, a split whose size differs from the
 * one the config expects (the paper's Table 1).
 */
final class ProtocolSection {
    private ProtocolSection() {}

    static void write(StringBuilder sb, ExperimentConfig config) {
        long seed = config.seeds().get(0);
        Stage c = config.clinical(), d = config.downstream();
        sb.append("Protocol `").append(config.protocol()).append("` (every knob in `config.json`):\n\n");
        if (config.needsClinical()) {
            sb.append(String.format(
                    Locale.ROOT,
                    "- Clinical LoRA: %d-token rows, %s, %.0f %% held out by %s, text %s, normaliser %s; %s%n",
                    c.seqLen(),
                    c.corpus().layout(),
                    100 * c.corpus().holdOut(),
                    c.corpus().holdOutBy(),
                    c.corpus().text(),
                    c.normalizer(),
                    optim(config.hyper(true, false, seed, null))));
        }
        sb.append(String.format(
                Locale.ROOT,
                "- Downstream: %d-token rows, normaliser %s, selection %s, class weights %s, multi-class AUROC %s,"
                        + " multi-label scores %s, stacking %s; %s%n%n",
                d.seqLen(),
                d.normalizer(),
                d.selection(),
                d.classWeighting(),
                d.multiclassAuroc(),
                d.multilabelScores(),
                config.stacking(),
                optim(config.hyper(false, false, seed, config.learningRates().get(0)))));
    }

    private static String optim(Hyperparameters h) {
        return String.format(
                Locale.ROOT,
                "LoRA r=%d alpha=%s dropout=%s on %s, lr %s, batch %d x %d, %d epoch(s), weight decay %s, clipping %s,"
                        + " warm-up %s",
                h.r(),
                num(h.loraAlpha()),
                num(h.loraDropout()),
                String.join("+", h.targetModules()),
                num(h.learningRate()),
                h.batchSize(),
                h.gradientAccumulation(),
                h.epochs(),
                num(h.weightDecay()),
                h.maxGradNorm() > 0 ? num(h.maxGradNorm()) : "none",
                h.warmupSteps() != null ? num(h.warmupSteps()) + " steps" : num(h.warmupRatio()) + " of the steps");
    }

    private static String num(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e6 ? String.valueOf((long) x) : String.valueOf(x);
    }

    /** The notices, each once; nothing when there are none. */
    static void notices(
            StringBuilder sb,
            ExperimentConfig config,
            Trainer.Result clinical,
            List<Run> runs,
            Map<String, TaskData> data) {
        Set<String> out = new LinkedHashSet<>();
        if (clinical != null) clinical.notices().forEach(n -> out.add("Clinical LoRA: " + n));
        // The runs of a task share one schedule: each notice once per task.
        for (Run r : runs) r.result().notices().forEach(n -> out.add(r.task().toUpperCase(Locale.ROOT) + ": " + n));
        if (config.expectedRows() != null) {
            config.expectedRows().forEach((task, expected) -> {
                TaskData td = data.get(task);
                if (td == null) return;
                expected.forEach((split, rows) -> {
                    long have = td.rows().getOrDefault(split, 0L);
                    if (have != rows)
                        out.add(String.format(
                                Locale.ROOT,
                                "%s %s: %d rows, the config expects %d (%+d)",
                                task.toUpperCase(Locale.ROOT),
                                split,
                                have,
                                rows,
                                have - rows));
                });
            });
        }
        if (out.isEmpty()) return;
        sb.append("\nNotices:\n\n");
        for (String n : out) sb.append("- ").append(n).append('\n');
    }
}
