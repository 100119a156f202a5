package org.clinlora.core.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.clinlora.core.io.PeftAdapterDir;
import org.clinlora.core.lora.LoraAdapter;
import org.clinlora.core.lora.LoraConfig;
import org.clinlora.core.model.Compute;
import org.clinlora.core.model.LlamaModel;
import org.clinlora.core.model.StepContext;
import org.clinlora.core.model.TokenBatch;
import org.clinlora.core.train.AdamW;
import org.clinlora.core.train.Losses;
import org.clinlora.core.train.TrainingLoop;

/**
 * Throughput figures measured the way shared/peer measures them, so the two can be put side by side: random tokens,
 * a median over timed steps after warm-up steps, and the settings printed with the numbers.
 */
final class BenchCommand implements Main.Command {
    @Override
    public String usage() {
        return """
                throughput: training tokens/s, classification sequences/s, tokenizer and registry MB/s
                usage: ./clinlora bench train   --model DIR [--batch 8] [--seq 128] [--r 8] [--alpha 16] [--steps 10] [--warmup 3]
                       ./clinlora bench forward --model DIR [--adapter DIR]... [--batch 8] [--seq 128] [--labels 2] [--steps 10] [--warmup 3]
                       ./clinlora bench registry [--url http://127.0.0.1:8082] [--rounds 5]
                       ./clinlora bench tokenize --model DIR [--notes discharge.csv.gz] [--patients 300] [--rounds 5] [--service URL]
                  common: [--threads N] [--device cpu|cuda[:N]] [--precision fp32|bf16|fp16] [--seed N]
                  train: causal LM on random tokens, a new LoRA (q_proj+v_proj, r, alpha) trained by AdamW (lr 1e-4).
                  forward: sequence classification, no gradients; without an adapter that carries a score head, a new
                  one with --labels classes is stacked on top.
                  registry: publish and fetch-and-verify of a LLaMA-7B r=16 q/v fp16 adapter (~17 MB) through registry-svc,
                  beside a raw MinIO-client put/get of the same bytes; needs ./clinlora infra up, and starts registry-svc
                  from its built jar unless --url names a running one.
                  tokenize: notes/s and MB/s of the bare tokenizer and of normaliser + tokenizer on MIMIC-IV-Note text; with
                            --service (a running tokenizer-svc, e.g. http://127.0.0.1:8081, and its object store from
                            CLINLORA_S3_*) also POST /v1/tokenize in batches of 64 and a causal-LM dataset build of the same notes
                  (default: synthetic discharge summaries).""";
    }

    @Override
    public void run(String[] argv) throws IOException {
        if (argv.length >= 2 && argv[1].equals("tokenize")) {
            BenchTokenizeCommand.run(new Args(argv, 2, Set.of()));
            return;
        }
        if (argv.length >= 2 && argv[1].equals("registry")) {
            BenchRegistryCommand.run(new Args(argv, 2, Set.of()));
            return;
        }
        if (argv.length < 2 || !(argv[1].equals("train") || argv[1].equals("forward"))) {
            throw new Args.UsageException("say 'bench train', 'bench forward', 'bench tokenize' or 'bench registry'");
        }
        boolean train = argv[1].equals("train");
        Args a = new Args(argv, 2, Set.of());
        Path modelDir = Path.of(a.required("model"));
        int batch = a.intValue("batch", 8, 1), seq = a.intValue("seq", 128, 2);
        int steps = a.intValue("steps", 10, 1), warmup = a.intValue("warmup", 3, 0);
        int r = a.intValue("r", 8, 1), labels = a.intValue("labels", 2, 1);
        double alpha = a.doubleValue("alpha", 16);
        int threads = a.intValue("threads", 0, 0);
        long seed = a.intValue("seed", 0, 0);
        List<String> adapterDirs = a.all("adapter");
        Compute compute = Compute.parse(a.optional("device", "cpu"), a.optional("precision", "fp32"));
        a.rejectUnknown();
        Engine.getInstance(); // loads libtorch before the JNI thread setting
        if (threads > 0) JniUtils.setNumThreads(threads);

        try (LlamaModel model = LlamaModel.load(modelDir, compute)) {
            List<String> active = new ArrayList<>(PeftAdapterDir.loadStack(model, adapterDirs));
            SplittableRandom rnd = new SplittableRandom(seed);
            long[] ids = new long[batch * seq];
            for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(model.config().vocabSize());
            TokenBatch tokens = TokenBatch.unpadded(batch, seq, ids);
            String what;
            double[] times;
            if (train) {
                LoraConfig cfg = new LoraConfig("CAUSAL_LM", r, alpha, 0.0, List.of("q_proj", "v_proj"), List.of(), false, null);
                addNew(model, active, "bench", cfg, 0, seed);
                model.adapter("bench").setTrainable(true);
                TrainingLoop.Settings s = new TrainingLoop.Settings(1e-4, 0.0, 1_000_000, 1, 0.0, AdamW.Settings.DEFAULT, seed);
                try (TrainingLoop loop = new TrainingLoop(model, active, s)) {
                    times = time(warmup, steps, () -> loop.microStep(ctx ->
                            Losses.causalLm(ctx, model.lmLogits(ctx, model.hiddenStates(ctx, tokens, active)), tokens)));
                }
                what = String.format("training (causal LM, LoRA r=%d alpha=%.0f on q_proj+v_proj, AdamW)", r, alpha);
            } else {
                if (!model.hasScoreHead(active)) {
                    LoraConfig cfg = new LoraConfig("SEQ_CLS", r, alpha, 0.0, List.of("q_proj", "v_proj"), List.of("score"), false, null);
                    addNew(model, active, "bench", cfg, labels, seed);
                }
                times = time(warmup, steps, () -> {
                    try (StepContext ctx = model.newStep(false)) {
                        NDArray cls = model.classify(ctx, model.hiddenStates(ctx, tokens, active), tokens, active);
                        cls.toFloatArray();
                    }
                });
                what = "classification forward (last-token pooled score head, no gradients)";
            }
            double median = median(times);
            var c = model.config();
            System.out.printf("clinlora bench %s: %s%n", argv[1], what);
            System.out.printf("model %s: vocab %d, hidden %d, layers %d, heads %d (kv %d), intermediate %d; adapters %s%n",
                    modelDir, c.vocabSize(), c.hiddenSize(), c.numHiddenLayers(), c.numAttentionHeads(),
                    c.numKeyValueHeads(), c.intermediateSize(), active);
            System.out.printf("batch %d x seq %d, %d timed steps after %d warm-up; step seconds %s%n", batch, seq, steps, warmup,
                    Arrays.toString(Arrays.stream(times).map(t -> Math.round(t * 1000) / 1000.0).toArray()));
            System.out.println(environment(compute));
            if (train) {
                System.out.printf("RESULT train: median step %.4f s, %.0f tokens/s%n", median, batch * seq / median);
            } else {
                System.out.printf("RESULT forward: median batch %.4f s, %.2f sequences/s (%.0f tokens/s)%n",
                        median, batch / median, batch * seq / median);
            }
        }
    }

    private static void addNew(LlamaModel model, List<String> active, String name, LoraConfig cfg, int labels, long seed) {
        LoraAdapter ad = LoraAdapter.create(name, cfg, model.projections(), model.manager(), model.compute().dtype(),
                labels, model.config().hiddenSize(), model.config().initializerRange(), seed);
        model.addAdapter(ad);
        active.add(name);
    }

    private static double[] time(int warmup, int steps, Runnable step) {
        for (int i = 0; i < warmup; i++) step.run();
        double[] t = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            step.run();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        return t;
    }

    /** The median of timed steps, shared by every bench. */
    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static String environment(Compute compute) {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException | RuntimeException ignored) {
            // not Linux: the CPU name is only informative
        }
        return String.format("environment: %s, %d cores visible; libtorch %s via DJL %s on %s %s, intra-op threads %d, "
                        + "interop threads %d; OMP_WAIT_POLICY=%s GLIBC_TUNABLES=%s; Java %s",
                cpu, Runtime.getRuntime().availableProcessors(), Engine.getInstance().getVersion(), Engine.getDjlVersion(),
                compute.device(), compute.dtype(), JniUtils.getNumThreads(), JniUtils.getNumInteropThreads(),
                System.getenv("OMP_WAIT_POLICY"), System.getenv("GLIBC_TUNABLES"), System.getProperty("java.version"));
    }
}
