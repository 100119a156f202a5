package org.clinlora.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.model.base.Compute;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.train.PaperDefaults;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "make-adapter",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description = "A new LoRA adapter for a base model, written as a PEFT adapter directory.",
        footer = {
            "Defaults: the paper's adapters (PaperDefaults) - causal-lm: r 16, alpha 32 (Clinical LoRA); seq-cls: r 8,",
            "alpha 4, dropout 0.1, 2 labels, with the score head (Downstream LoRA); targets q_proj,v_proj. PEFT initialisation",
            "(lora_B zero) unless --random-b, which draws lora_B from normal(0, 0.02) so the adapter changes the outputs."
        })
final class MakeAdapterCommand extends CliCommand {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "the base model directory")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the adapter directory to write")
    Path out;

    @Option(
            names = "--task",
            defaultValue = "causal-lm",
            description = "causal-lm or seq-cls (default ${DEFAULT-VALUE})")
    String task;

    @Option(names = "--r", description = "LoRA rank (default: the paper's for the task)")
    Integer rank;

    @Option(names = "--alpha", description = "lora_alpha (default: the paper's)")
    Double alphaOption;

    @Option(names = "--dropout", description = "lora_dropout (default: the paper's)")
    Double dropoutOption;

    @Option(names = "--targets", split = ",", description = "projections to wrap (default q_proj,v_proj)")
    List<String> targetsOption;

    @Option(
            names = "--labels",
            defaultValue = "2",
            description = "labels of the score head, seq-cls only (default ${DEFAULT-VALUE})")
    int labels;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--random-b", description = "draw lora_B from normal(0, 0.02) instead of zeros")
    boolean randomB;

    @Override
    protected void execute() throws IOException {
        require(task.equals("causal-lm") || task.equals("seq-cls"), "--task must be causal-lm or seq-cls");
        boolean cls = task.equals("seq-cls");
        LoraConfig d = cls ? PaperDefaults.downstreamLora() : PaperDefaults.clinicalLora();
        int r = rank == null ? d.r() : rank;
        double alpha = alphaOption == null ? d.loraAlpha() : alphaOption;
        double dropout = dropoutOption == null ? d.loraDropout() : dropoutOption;
        List<String> targets = targetsOption == null ? d.targetModules() : targetsOption;
        atLeast("--r", r, 1);
        atLeast("--labels", labels, 1);
        atLeast("--seed", seed, 0);
        LoraConfig cfg = new LoraConfig(d.taskType(), r, alpha, dropout, targets, d.modulesToSave(), false, null);
        try (LlamaModel m = LlamaModel.load(model, Compute.CPU_FP32)) {
            LoraAdapter ad = LoraAdapter.create(
                    "new",
                    cfg,
                    m.projections(),
                    m.classifierHead(),
                    m.manager(),
                    DataType.FLOAT32,
                    cls ? labels : 0,
                    m.config().hiddenSize(),
                    m.config().initializerRange(),
                    seed);
            if (randomB) {
                SplittableRandom rnd = new SplittableRandom(seed + 1);
                for (var e : ad.parameters().entrySet()) {
                    if (!e.getKey().endsWith("lora_B.weight")) continue;
                    NDArray b = e.getValue();
                    float[] v = new float[Math.toIntExact(b.size())];
                    for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 0.02);
                    b.set(v);
                }
            }
            PeftAdapterDir.save(
                    ad, out, model.toAbsolutePath().normalize().getFileName().toString());
            ad.close();
            System.out.printf(
                    "wrote %s: %s LoRA r=%d alpha=%s on %s%s%n",
                    out, cfg.taskType(), r, alpha, targets, cls ? ", score head with " + labels + " labels" : "");
        }
    }
}
