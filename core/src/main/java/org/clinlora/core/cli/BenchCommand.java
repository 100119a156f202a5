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
                usage: ./clinlora bench train   --model DIR | --config tiny|small [--batch 8] [--seq 128] [--r 8] [--alpha 16] [--steps 10] [--warmup 3]
                       ./clinlora bench forward --model DIR | --config tiny|small [--adapter DIR]... [--batch 8] [--seq 128] [--labels 2] [--steps 10] [--warmup 3]
                       ./clinlora bench registry [--url http://127.0.0.1:8082] [--rounds 5]
                       ./clinlora bench score [--model DIR] [--adapters 20] [--clients 1,8,32] [--requests-per-client 8] [--min-requests 64]
                       ./clinlora bench tokenize --model DIR [--notes discharge.csv.gz] [--patients 300] [--rounds 5] [--service URL]
                  common: [--threads N] [--device cpu|cuda[:N]] [--precision fp32|bf16|fp16] [--seed N]
                  --config: the PyTorch peer's shapes (shared/peer: tiny = vocab 32000, d256, L4, H4, ffn 688, 8 x 128;
                  small = d512, L8, H8, ffn 1376, 4 x 256 training / 8 x 256 forward; LoRA r 8, alpha 16), a random model
                  made in a temp folder. Both print a fp32 2048x2048 matmul peak measured in the same run and the MFU
                  (model FLOPs per token x tokens/s / peak; LoRA training counts 2x the frozen dense FLOPs, 3x LoRA and attention).
                  train: causal LM on random tokens, a new LoRA (q_proj+v_proj, r, alpha) trained by AdamW (lr 1e-4).
                  forward: sequence classification, no gradients; without an adapter that carries a score head, a new
                  one with --labels classes is stacked on top.
                  registry: publish and fetch-and-verify of a LLaMA-7B r=16 q/v fp16 adapter (~17 MB) through registry-svc,
                  beside a raw MinIO-client put/get of the same bytes; needs ./clinlora infra up, and starts registry-svc
                  from its built jar unless --url names a running one.
                  score: starts registry-svc and scorer-svc from their jars (needs ./clinlora infra up), publishes --adapters
                         SEQ_CLS adapters for a base model (default: the peer's tiny shapes) and measures POST /v1/score:
                         sequences/s, p50/p99 latency per concurrency with 1 and with all adapters in the mix, and the
                         scorer's resident memory per extra adapter.
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
        if (argv.length >= 2 && argv[1].equals("score")) {
            try {
                BenchScoreCommand.run(new Args(argv, 2, Set.of()));
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return;
        }
        if (argv.length >= 2 && argv[1].equals("registry")) {
            BenchRegistryCommand.run(new Args(argv, 2, Set.of()));
            return;
        }
        if (argv.length < 2 || !(argv[1].equals("train") || argv[1].equals("forward"))) {
            throw new Args.UsageException("say 'bench train', 'bench forward', 'bench tokenize', 'bench registry' or 'bench score'");
        }
        boolean train = argv[1].equals("train");
        Args a = new Args(argv, 2, Set.of());
        String config = a.optional("config", null);
        if (config != null && !config.equals("tiny") && !config.equals("small")) throw new Args.UsageException("--config must be tiny or small");
        boolean small = "small".equals(config);
        Path modelDir = config == null ? Path.of(a.required("model")) : peerModel(small);
        int batch = a.intValue("batch", small && train ? 4 : 8, 1), seq = a.intValue("seq", small ? 256 : 128, 2);
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
            double peak = matmulPeak(compute);
            double[] flops = flopsPerToken(c, seq, r, train);
            System.out.printf("clinlora bench %s: %s%n", argv[1], what);
            System.out.printf("model %s: vocab %d, hidden %d, layers %d, heads %d (kv %d), intermediate %d; adapters %s%n",
                    modelDir, c.vocabSize(), c.hiddenSize(), c.numHiddenLayers(), c.numAttentionHeads(),
                    c.numKeyValueHeads(), c.intermediateSize(), active);
            System.out.printf("batch %d x seq %d, %d timed steps after %d warm-up; step seconds %s%n", batch, seq, steps, warmup,
                    Arrays.toString(Arrays.stream(times).map(t -> Math.round(t * 1000) / 1000.0).toArray()));
            System.out.println(environment(compute));
            double tokensPerSecond = batch * seq / median, gflops = tokensPerSecond * flops[0] / 1e9;
            System.out.printf("fp32 matmul 2048x2048 in this run: median %.1f GFLOP/s; model %.1f MFLOP/token (%s)%n", peak, flops[0] / 1e6,
                    train ? "LoRA training: 2x dense + 3x LoRA + 3x attention" : "forward, classification head");
            if (train) {
                System.out.printf("RESULT train: median step %.4f s, %.0f tokens/s, %.1f GFLOP/s, MFU %.0f%%%n", median, tokensPerSecond, gflops, 100 * gflops / peak);
            } else {
                System.out.printf("RESULT forward: median batch %.4f s, %.2f sequences/s (%.0f tokens/s), %.1f GFLOP/s, MFU %.0f%%%n",
                        median, batch / median, tokensPerSecond, gflops, 100 * gflops / peak);
            }
            if (config != null) PeftAdapterDir.deleteTree(modelDir);
        }
    }

    /** A random model with the peer's shapes (MHA: kv heads = heads), in a temp folder. */
    private static Path peerModel(boolean small) throws IOException {
        Path dir = Files.createTempDirectory("clinlora-bench").resolve("m");
        org.clinlora.core.model.TinyLlama.write(dir, small
                ? new org.clinlora.core.model.TinyLlama.Spec(32000, 512, 8, 8, 8, 1376, 512, false, 0)
                : new org.clinlora.core.model.TinyLlama.Spec(32000, 256, 4, 4, 4, 688, 512, false, 0));
        return dir;
    }

    /** fp32 matmul throughput of this machine, measured now (the denominator of MFU). */
    static double matmulPeak(Compute compute) {
        int n = 2048;
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(compute.device())) {
            NDArray a = m.randomNormal(new ai.djl.ndarray.types.Shape(n, n)), b = m.randomNormal(new ai.djl.ndarray.types.Shape(n, n));
            double[] t = time(3, 10, () -> {
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0);  // waits for the result (CUDA is asynchronous)
                }
            });
            return 2.0 * n * n * n / median(t) / 1e9;
        }
    }

    /**
     * Model FLOPs per token: dense projections (q, k, v, o, gate, up, down; the LM head for training), LoRA on q and v,
     * and the attention matmuls over the full causal matrix as computed. Training a LoRA needs input gradients of the
     * frozen layers (2x dense), both gradients of LoRA and attention (3x).
     */
    static double[] flopsPerToken(org.clinlora.core.model.LlamaConfig c, int seq, int r, boolean train) {
        double d = c.hiddenSize(), kv = (double) c.numKeyValueHeads() * c.headDim(), h = c.intermediateSize(), layers = c.numHiddenLayers();
        double dense = layers * (2 * d * d * 2 + 2 * d * kv * 2 + 3 * 2 * d * h) + (train ? 2 * d * c.vocabSize() : 0);
        double lora = layers * (2 * (2 * d * r + 2 * r * d) - 2 * r * d + 2 * r * kv);  // q: d->r->d, v: d->r->kv
        double attn = layers * 2 * 2 * seq * d;
        return new double[] {train ? 2 * dense + 3 * lora + 3 * attn : dense + lora + attn};
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
