package org.clinlora.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.Compute;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.StepContext;
import org.clinlora.model.llama.TokenBatch;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.train.AdamW;
import org.clinlora.model.train.Losses;
import org.clinlora.model.train.TrainingLoop;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ./clinlora bench}: throughput figures measured the way the plain PyTorch comparison measures them, so the two
 * can be put side by side: random tokens, a median over timed steps after warm-up steps, the settings printed with the
 * numbers. {@code train} and {@code forward} are here; {@code tokenize}, {@code registry} and {@code score} have their
 * own classes.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Throughput: training tokens/s, classification sequences/s, tokenizer, registry and scorer figures.",
        subcommands = {BenchCommand.Train.class, BenchCommand.Forward.class, BenchTokenizeCommand.class,
                BenchRegistryCommand.class, BenchScoreCommand.class, BenchScaleCommand.class, BenchCorpusCommand.class,
                BenchSoakCommand.class})
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "say 'bench train', 'bench forward', 'bench tokenize', 'bench registry' or 'bench score'");
    }

    @Command(name = "train", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = "Training tokens/s: causal LM on random tokens, a new LoRA (q_proj+v_proj, r, alpha) trained by AdamW (lr 1e-4).",
            footer = {"--config: the comparison's shapes (tiny = vocab 32000, d256, L4, H4, ffn 688, 8 x 128; small = d512, L8, H8,",
                    "ffn 1376, 4 x 256 training / 8 x 256 forward; LoRA r 8, alpha 16), a random model made in a temp folder. Prints",
                    "a fp32 2048x2048 matmul peak measured in the same run and the MFU (model FLOPs per token x tokens/s / peak)."})
    static final class Train extends ModelBench {
        Train() {
            super(true);
        }
    }

    @Command(name = "forward", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = "Classification sequences/s, no gradients; without an adapter that carries a score head, a new one with --labels classes is stacked on top.",
            footer = "--config: as for bench train.")
    static final class Forward extends ModelBench {
        Forward() {
            super(false);
        }
    }

    /** The options and the work of {@code bench train} and {@code bench forward}. */
    abstract static class ModelBench extends CliCommand {
        private final boolean train;

        @Option(names = "--model", paramLabel = "DIR", description = "a model directory (or --config)")
        Path modelOption;
        @Option(names = "--config", description = "tiny or small: a random model with the comparison's shapes")
        String config;
        @Option(names = "--batch", description = "rows per step (default 8; small training 4)")
        Integer batchOption;
        @Option(names = "--seq", description = "tokens per row (default 128; small 256)")
        Integer seqOption;
        @Option(names = "--steps", defaultValue = "10", description = "timed steps (default ${DEFAULT-VALUE})")
        int steps;
        @Option(names = "--warmup", defaultValue = "3", description = "warm-up steps (default ${DEFAULT-VALUE})")
        int warmup;
        @Option(names = "--r", defaultValue = "8", description = "LoRA rank (default ${DEFAULT-VALUE})")
        int r;
        @Option(names = "--alpha", defaultValue = "16", description = "lora_alpha (default ${DEFAULT-VALUE})")
        double alpha;
        @Option(names = "--labels", defaultValue = "2", description = "labels of a new score head (default ${DEFAULT-VALUE})")
        int labels;
        @Option(names = "--threads", defaultValue = "0", description = "libtorch threads (0: its default)")
        int threads;
        @Option(names = "--seed", defaultValue = "0", description = "random seed (default ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--adapter", paramLabel = "DIR", description = "PEFT adapters to stack (repeat)")
        List<String> adapterDirs = List.of();
        @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda[:N] (default ${DEFAULT-VALUE})")
        String device;
        @Option(names = "--precision", defaultValue = "fp32", description = "fp32 or fp16 (bf16 is refused: DJL 0.36 has no bfloat16; default ${DEFAULT-VALUE})")
        String precision;
        @Option(names = "--profile", paramLabel = "FILE", description = "write libtorch's profile of the timed steps (Chrome trace JSON) to FILE")
        Path profile;

        ModelBench(boolean train) {
            this.train = train;
        }

        @Override
        void execute() throws IOException {
            require(config == null || config.equals("tiny") || config.equals("small"), "--config must be tiny or small");
            require(config != null || modelOption != null, "give --model DIR or --config tiny|small");
            boolean small = "small".equals(config);
            Path modelDir = config == null ? modelOption : peerModel(small);
            int batch = batchOption != null ? batchOption : small && train ? 4 : 8, seq = seqOption != null ? seqOption : small ? 256 : 128;
            atLeast("--batch", batch, 1);
            atLeast("--seq", seq, 2);
            atLeast("--steps", steps, 1);
            atLeast("--warmup", warmup, 0);
            atLeast("--r", r, 1);
            atLeast("--labels", labels, 1);
            atLeast("--threads", threads, 0);
            Compute compute = Compute.parse(device, precision);
            run(train, modelDir, config != null, batch, seq, steps, warmup, r, alpha, labels, threads, seed, adapterDirs, compute, profile);
        }
    }

    /** {@code temporary}: the model was made for this run and is deleted after it. */
    static void run(boolean train, Path modelDir, boolean temporary, int batch, int seq, int steps, int warmup, int r, double alpha, int labels,
                    int threads, long seed, List<String> adapterDirs, Compute compute, Path profile) throws IOException {
        Engine.getInstance(); // loads libtorch before the JNI thread setting
        if (threads > 0) JniUtils.setNumThreads(threads);

        try (LlamaModel model = LlamaModel.load(modelDir, compute)) {
            List<String> active = new ArrayList<>(PeftAdapterDir.loadStack(model, adapterDirs));
            SplittableRandom rnd = new SplittableRandom(seed);
            long[] ids = new long[batch * seq];
            for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(model.config().vocabSize());
            TokenBatch tokens = TokenBatch.unpadded(batch, seq, ids);
            String what;
            Timed timed;
            if (train) {
                LoraConfig cfg = new LoraConfig("CAUSAL_LM", r, alpha, 0.0, List.of("q_proj", "v_proj"), List.of(), false, null);
                addNew(model, active, "bench", cfg, 0, seed);
                model.adapter("bench").setTrainable(true);
                TrainingLoop.Settings s = new TrainingLoop.Settings(1e-4, 0.0, 1_000_000, 1, 0.0, AdamW.Settings.DEFAULT, seed);
                try (TrainingLoop loop = new TrainingLoop(model, active, s)) {
                    timed = time(warmup, steps, profile, () -> loop.microStep(tokens, active,
                            (ctx, hidden) -> Losses.causalLm(ctx, model.lmLogits(ctx, hidden), tokens)));
                }
                what = String.format("training (causal LM, LoRA r=%d alpha=%.0f on q_proj+v_proj, AdamW)", r, alpha);
            } else {
                if (!model.hasScoreHead(active)) {
                    LoraConfig cfg = new LoraConfig("SEQ_CLS", r, alpha, 0.0, List.of("q_proj", "v_proj"), List.of("score"), false, null);
                    addNew(model, active, "bench", cfg, labels, seed);
                }
                timed = time(warmup, steps, profile, () -> {
                    try (StepContext ctx = model.newStep(false)) {
                        NDArray cls = model.classify(ctx, tokens, active);
                        cls.toFloatArray();
                    }
                });
                what = "classification forward (last-token pooled score head, no gradients)";
            }
            double[] times = timed.seconds();
            double median = median(times);
            var c = model.config();
            double peak = matmulPeak(compute);
            double[] flops = flopsPerToken(c, seq, r, train);
            System.out.printf("clinlora bench %s: %s%n", train ? "train" : "forward", what);
            System.out.printf("model %s: vocab %d, hidden %d, layers %d, heads %d (kv %d), intermediate %d; adapters %s%n",
                    modelDir, c.vocabSize(), c.hiddenSize(), c.numHiddenLayers(), c.numAttentionHeads(),
                    c.numKeyValueHeads(), c.intermediateSize(), active);
            System.out.printf("batch %d x seq %d, %d timed steps after %d warm-up; step seconds %s; %.0f minor page faults per step%n",
                    batch, seq, steps, warmup, Arrays.toString(Arrays.stream(times).map(t -> Math.round(t * 1000) / 1000.0).toArray()), timed.minorFaultsPerStep());
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
            if (temporary) PeftAdapterDir.deleteTree(modelDir);
        }
    }

    /** A random model with the peer's shapes (MHA: kv heads = heads), in a temp folder. */
    private static Path peerModel(boolean small) throws IOException {
        Path dir = Files.createTempDirectory("clinlora-bench").resolve("m");
        org.clinlora.model.llama.TinyLlama.write(dir, small
                ? new org.clinlora.model.llama.TinyLlama.Spec(32000, 512, 8, 8, 8, 1376, 512, false, 0)
                : new org.clinlora.model.llama.TinyLlama.Spec(32000, 256, 4, 4, 4, 688, 512, false, 0));
        return dir;
    }

    /** fp32 matmul throughput of this machine, measured now (the denominator of MFU). */
    static double matmulPeak(Compute compute) {
        int n = 2048;
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(compute.device())) {
            NDArray a = m.randomNormal(new ai.djl.ndarray.types.Shape(n, n)), b = m.randomNormal(new ai.djl.ndarray.types.Shape(n, n));
            double[] t = time(3, 10, null, () -> {
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0);  // waits for the result (CUDA is asynchronous)
                }
            }).seconds();
            return 2.0 * n * n * n / median(t) / 1e9;
        }
    }

    /**
     * Model FLOPs per token: dense projections (q, k, v, o, gate, up, down; the LM head for training), LoRA on q and v,
     * and the attention matmuls over the full causal matrix as computed. Training a LoRA needs input gradients of the
     * frozen layers (2x dense), both gradients of LoRA and attention (3x).
     */
    static double[] flopsPerToken(org.clinlora.model.llama.LlamaConfig c, int seq, int r, boolean train) {
        double d = c.hiddenSize(), kv = (double) c.numKeyValueHeads() * c.headDim(), h = c.intermediateSize(), layers = c.numHiddenLayers();
        double dense = layers * (2 * d * d * 2 + 2 * d * kv * 2 + 3 * 2 * d * h) + (train ? 2 * d * c.vocabSize() : 0);
        double lora = layers * (2 * (2 * d * r + 2 * r * d) - 2 * r * d + 2 * r * kv);  // q: d->r->d, v: d->r->kv
        double attn = layers * 2 * 2 * seq * d;
        return new double[] {train ? 2 * dense + 3 * lora + 3 * attn : dense + lora + attn};
    }

    private static void addNew(LlamaModel model, List<String> active, String name, LoraConfig cfg, int labels, long seed) {
        LoraAdapter ad = LoraAdapter.create(name, cfg, model.projections(), model.classifierHead(), model.manager(), ai.djl.ndarray.types.DataType.FLOAT32,
                labels, model.config().hiddenSize(), model.config().initializerRange(), seed);
        model.addAdapter(ad);
        active.add(name);
    }

    /** Seconds of each timed step, and the minor page faults per step meanwhile (fresh memory is costly on these VMs). */
    record Timed(double[] seconds, double minorFaultsPerStep) {}

    /** Runs warm-up steps, then times each step; with a profile file, libtorch records the timed steps' ops there. */
    private static Timed time(int warmup, int steps, Path profile, Runnable step) {
        for (int i = 0; i < warmup; i++) step.run();
        if (profile != null) JniUtils.startProfile(false, true, false);
        long faults = ProcStatus.minorFaults();
        double[] t = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            step.run();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        double faultsPerStep = (ProcStatus.minorFaults() - faults) / (double) steps;
        if (profile != null) {
            JniUtils.stopProfile(profile.toAbsolutePath().toString());
            System.out.println("profile of the timed steps (Chrome trace): " + profile.toAbsolutePath());
        }
        return new Timed(t, faultsPerStep);
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
        return String.format("environment: %s, %d cores visible; libtorch %s via DJL %s on %s %s (computed in %s), intra-op threads %d, "
                        + "interop threads %d; OMP_WAIT_POLICY=%s GLIBC_TUNABLES=%s; oneMKL vendor shim %s; Java %s",
                cpu, Runtime.getRuntime().availableProcessors(), Engine.getInstance().getVersion(), Engine.getDjlVersion(),
                compute.device(), compute.dtype(), compute.computeDtype(), JniUtils.getNumThreads(), JniUtils.getNumInteropThreads(),
                System.getenv("OMP_WAIT_POLICY"), System.getenv("GLIBC_TUNABLES"), mklVendorShim(), System.getProperty("java.version"));
    }

    /** Whether the launcher preloaded infra/native/mkl-vendor-shim.c (oneMKL's AVX-512 kernels on a non-Intel CPU). */
    static String mklVendorShim() {
        String preload = System.getenv("LD_PRELOAD");
        return preload != null && preload.contains("mkl-vendor-shim") ? "on" : "off";
    }
}
