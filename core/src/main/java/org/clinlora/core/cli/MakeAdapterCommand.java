package org.clinlora.core.cli;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.clinlora.core.io.PeftAdapterDir;
import org.clinlora.core.lora.LoraAdapter;
import org.clinlora.core.lora.LoraConfig;
import org.clinlora.core.model.Compute;
import org.clinlora.core.model.LlamaModel;

final class MakeAdapterCommand implements Main.Command {
    @Override
    public String usage() {
        return """
                a new LoRA adapter for a base model, written as a PEFT adapter directory
                usage: ./clinlora make-adapter --model DIR --out DIR [--task causal-lm|seq-cls] [--labels N] [--r N]
                                               [--alpha X] [--dropout X] [--targets q_proj,v_proj,...] [--seed N] [--random-b]
                  defaults: the paper's adapters — causal-lm: r 16, alpha 32 (Clinical LoRA); seq-cls: r 8, alpha 4,
                  dropout 0.1, 2 labels, with the score head (Downstream LoRA); targets q_proj,v_proj.
                  PEFT initialisation (lora_B zero) unless --random-b, which draws lora_B from normal(0, 0.02) so the
                  adapter changes the outputs (for interoperability checks and demos).""";
    }

    @Override
    public void run(String[] argv) throws IOException {
        Args a = new Args(argv, 1, Set.of("random-b"));
        Path model = Path.of(a.required("model"));
        Path out = Path.of(a.required("out"));
        String task = a.optional("task", "causal-lm");
        if (!task.equals("causal-lm") && !task.equals("seq-cls")) throw new Args.UsageException("--task must be causal-lm or seq-cls");
        boolean cls = task.equals("seq-cls");
        LoraConfig d = cls ? LoraConfig.downstreamDefaults() : LoraConfig.clinicalDefaults();
        int r = a.intValue("r", d.r(), 1);
        double alpha = a.doubleValue("alpha", d.loraAlpha());
        double dropout = a.doubleValue("dropout", d.loraDropout());
        List<String> targets = Arrays.asList(a.optional("targets", String.join(",", d.targetModules())).split(","));
        int labels = a.intValue("labels", 2, 1);
        long seed = a.intValue("seed", 0, 0);
        boolean randomB = a.has("random-b");
        a.rejectUnknown();
        LoraConfig cfg = new LoraConfig(d.taskType(), r, alpha, dropout, targets, d.modulesToSave(), false, null);
        try (LlamaModel m = LlamaModel.load(model, Compute.CPU_FP32)) {
            LoraAdapter ad = LoraAdapter.create("new", cfg, m.projections(), m.manager(), m.compute().dtype(),
                    cls ? labels : 0, m.config().hiddenSize(), m.config().initializerRange(), seed);
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
            PeftAdapterDir.save(ad, out, model.toAbsolutePath().normalize().getFileName().toString());
            ad.close();
            System.out.printf("wrote %s: %s LoRA r=%d alpha=%s on %s%s%n", out, cfg.taskType(), r, alpha, targets,
                    cls ? ", score head with " + labels + " labels" : "");
        }
    }
}
