package org.clinlora.cli.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.CpuDataParallel;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.LlamaAttention;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.train.AdamW;
import org.clinlora.model.train.Losses;
import org.clinlora.model.train.TrainingLoop;
import picocli.CommandLine.Option;

/** The options and the work of {@code bench train} and {@code bench forward}. */
abstract class ModelBench extends CliCommand {
    private final boolean train;

    @Option(names = "--model", paramLabel = "DIR", description = "a model directory (or --config)")
    Path modelOption;

    @Option(names = "--config", description = "tiny or small: a random model with the comparison's shapes")
    String config;

    @Option(names = "--batch", description = "rows per step (default 8; small training 4)")
    Integer batchOption;

    @Option(names = "--seq", description = "tokens per row (default 128; small 256)")
    Integer seqOption;

    @Option(
            names = "--steps",
            defaultValue = "10",
            description = "timed steps, at least (default ${DEFAULT-VALUE}; and at least 3 s of them)")
    int steps;

    @Option(
            names = "--warmup",
            defaultValue = "3",
            description = "warm-up steps, and at least 2 s of them (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--r", defaultValue = "8", description = "LoRA rank (default ${DEFAULT-VALUE})")
    int r;

    @Option(names = "--alpha", defaultValue = "16", description = "lora_alpha (default ${DEFAULT-VALUE})")
    double alpha;

    @Option(
            names = "--labels",
            defaultValue = "2",
            description = "labels of a new score head (default ${DEFAULT-VALUE})")
    int labels;

    @Option(names = "--threads", defaultValue = "0", description = "libtorch threads (0: its default)")
    int threads;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--adapter", paramLabel = "DIR", description = "PEFT adapters to stack (repeat)")
    List<String> adapterDirs = List.of();

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda[:N] (default ${DEFAULT-VALUE})")
    String device;

    @Option(
            names = "--precision",
            defaultValue = "fp32",
            description = "fp32 or fp16 (bf16 is refused: DJL 0.36 has no bfloat16; default ${DEFAULT-VALUE})")
    String precision;

    @Option(
            names = "--profile",
            paramLabel = "FILE",
            description = "write libtorch's profile of the timed steps (Chrome trace JSON) to FILE")
    Path profile;

    ModelBench(boolean train) {
        this.train = train;
    }

    /** The rows and tokens of each step, the model measured, and whether it was made for this run only. */
    private record Run(Path modelDir, boolean temporary, int batch, int seq, Compute compute) {}

    @Override
    protected void execute() throws IOException {
        require(config == null || config.equals("tiny") || config.equals("small"), "--config must be tiny or small");
        require(config != null || modelOption != null, "give --model DIR or --config tiny|small");
        boolean small = "small".equals(config);
        Path modelDir = config == null ? modelOption : peerModel(small);
        int batch = batchOption != null ? batchOption : small && train ? 4 : 8,
                seq = seqOption != null ? seqOption : small ? 256 : 128;
        atLeast("--batch", batch, 1);
        atLeast("--seq", seq, 2);
        atLeast("--steps", steps, 1);
        atLeast("--warmup", warmup, 0);
        atLeast("--r", r, 1);
        atLeast("--labels", labels, 1);
        atLeast("--threads", threads, 0);
        Compute compute = Compute.parse(device, precision);
        run(new Run(modelDir, config != null, batch, seq, compute));
    }

    /** Loads the model, times the steps and prints the figures; a model made for this run is deleted after it. */
    private void run(Run run) throws IOException {
        Engine.getInstance(); // loads libtorch before the JNI thread setting
        if (threads > 0) JniUtils.setNumThreads(threads);

        try (LlamaModel model = LlamaModel.load(run.modelDir(), run.compute())) {
            List<String> active = new ArrayList<>(PeftAdapterDir.loadStack(model, adapterDirs));
            TokenBatch tokens = randomTokens(model.config(), run.batch(), run.seq());
            Timing.Timed timed = train ? timeTraining(model, active, tokens) : timeForward(model, active, tokens);
            report(run, model.config(), active, timed);
            if (run.temporary()) PeftAdapterDir.deleteTree(run.modelDir());
        }
    }

    private TokenBatch randomTokens(LlamaConfig c, int batch, int seq) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] ids = new long[batch * seq];
        for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(c.vocabSize());
        return TokenBatch.unpadded(batch, seq, ids);
    }

    /** Causal-LM micro-steps of a new LoRA on q_proj+v_proj, trained by AdamW. */
    private Timing.Timed timeTraining(LlamaModel model, List<String> active, TokenBatch tokens) {
        LoraConfig cfg =
                new LoraConfig("CAUSAL_LM", r, alpha, 0.0, List.of("q_proj", "v_proj"), List.of(), false, null);
        addNew(model, active, cfg, 0);
        model.adapter("bench").setTrainable(true);
        TrainingLoop.Settings s = new TrainingLoop.Settings(1e-4, 0.0, 1_000_000, 1, 0.0, AdamW.Settings.DEFAULT, seed);
        try (TrainingLoop loop = new TrainingLoop(model, active, s)) {
            List<TrainingLoop.Part> parts = causalLmParts(model, tokens, loop.parts(tokens.batchSize()));
            return Timing.time(warmup, steps, profile, () -> loop.microStep(parts, active));
        }
    }

    /** The rows as the trainer splits them into data-parallel parts, each with its causal-LM loss (rows unpadded). */
    private static List<TrainingLoop.Part> causalLmParts(LlamaModel model, TokenBatch tokens, int n) {
        int[] bounds = CpuDataParallel.boundaries(tokens.batchSize(), n);
        List<TrainingLoop.Part> parts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TokenBatch rows = tokens.rows(bounds[i], bounds[i + 1]);
            double share = (double) rows.batchSize() / tokens.batchSize();
            parts.add(new TrainingLoop.Part(rows, (ctx, hidden) -> Losses.causalLm(ctx, model, hidden, rows), share));
        }
        return parts;
    }

    /** Classification forwards without gradients; a new score head on top unless the stack carries one. */
    private Timing.Timed timeForward(LlamaModel model, List<String> active, TokenBatch tokens) {
        if (!model.hasScoreHead(active)) {
            LoraConfig cfg = new LoraConfig(
                    "SEQ_CLS", r, alpha, 0.0, List.of("q_proj", "v_proj"), List.of("score"), false, null);
            addNew(model, active, cfg, labels);
        }
        return Timing.time(warmup, steps, profile, () -> {
            try (StepContext ctx = model.newStep(false)) {
                NDArray cls = model.classify(ctx, tokens, active);
                cls.toFloatArray();
            }
        });
    }

    private String what() {
        return train
                ? String.format("training (causal LM, LoRA r=%d alpha=%.0f on q_proj+v_proj, AdamW)", r, alpha)
                : "classification forward (last-token pooled score head, no gradients)";
    }

    private void report(Run run, LlamaConfig c, List<String> active, Timing.Timed timed) {
        double[] times = timed.seconds();
        double median = Timing.median(times);
        double peak = Machine.matmulPeak(run.compute());
        double[] flops = train
                ? flopsPerToken(c, run.seq(), r, true)
                : new double[] {classificationFlops(c, 1, run.seq(), r) / run.seq()};
        System.out.printf("clinlora bench %s: %s%n", train ? "train" : "forward", what());
        System.out.printf(
                "model %s: vocab %d, hidden %d, layers %d, heads %d (kv %d), intermediate %d; adapters %s%n",
                run.modelDir(),
                c.vocabSize(),
                c.hiddenSize(),
                c.numHiddenLayers(),
                c.numAttentionHeads(),
                c.numKeyValueHeads(),
                c.intermediateSize(),
                active);
        System.out.printf(
                "batch %d x seq %d, %d timed steps after %d warm-up; step seconds %s; %.0f minor page faults per step%n",
                run.batch(),
                run.seq(),
                times.length,
                timed.warmupSteps(),
                Arrays.toString(Arrays.stream(times)
                        .map(t -> Math.round(t * 1000) / 1000.0)
                        .toArray()),
                timed.minorFaultsPerStep());
        System.out.println(Machine.environment(run.compute()));
        System.out.printf(
                "fp32 matmul 2048x2048 in this run: median %.1f GFLOP/s; model %.1f MFLOP/token (%s)%n",
                peak,
                flops[0] / 1e6,
                train ? "LoRA training: 2x dense + 3x LoRA + 3x attention" : "forward, classification head");
        printResult(run.batch(), run.seq(), median, flops[0], peak);
    }

    private void printResult(int batch, int seq, double median, double flopsPerToken, double peak) {
        double tokensPerSecond = batch * seq / median, gflops = tokensPerSecond * flopsPerToken / 1e9;
        if (train) {
            System.out.printf(
                    "RESULT train: median step %.4f s, %.0f tokens/s, %.1f GFLOP/s, MFU %.0f%%%n",
                    median, tokensPerSecond, gflops, 100 * gflops / peak);
        } else {
            System.out.printf(
                    "RESULT forward: median batch %.4f s, %.2f sequences/s (%.0f tokens/s), %.1f GFLOP/s, MFU %.0f%%%n",
                    median, batch / median, tokensPerSecond, gflops, 100 * gflops / peak);
        }
    }

    /** A random model with the peer's shapes (MHA: kv heads = heads), in a temp folder. */
    private static Path peerModel(boolean small) throws IOException {
        Path dir = Files.createTempDirectory("clinlora-bench").resolve("m");
        TinyLlama.write(
                dir,
                small
                        ? new TinyLlama.Spec(32000, 512, 8, 8, 8, 1376, 512, false, 0)
                        : new TinyLlama.Spec(32000, 256, 4, 4, 4, 688, 512, false, 0));
        return dir;
    }

    /**
     * Model FLOPs per token: dense projections (q, k, v, o, gate, up, down; the LM head for training), LoRA on q and v,
     * and the attention matmuls over the full causal matrix as computed. Training a LoRA needs input gradients of the
     * frozen layers (2x dense), both gradients of LoRA and attention (3x).
     */
    static double[] flopsPerToken(LlamaConfig c, int seq, int r, boolean train) {
        double d = c.hiddenSize(),
                kv = (double) c.numKeyValueHeads() * c.headDim(),
                h = c.intermediateSize(),
                layers = c.numHiddenLayers();
        double dense = layers * (2 * d * d * 2 + 2 * d * kv * 2 + 3 * 2 * d * h) + (train ? 2 * d * c.vocabSize() : 0);
        double lora = layers * (2 * (2 * d * r + 2 * r * d) - 2 * r * d + 2 * r * kv); // q: d->r->d, v: d->r->kv
        double attn = layers * 2 * 2 * seq * d;
        return new double[] {train ? 2 * dense + 3 * lora + 3 * attn : dense + lora + attn};
    }

    /**
     * Model FLOPs of a pooled classification forward of {@code batch} rows of {@code seq} tokens, as computed: every
     * layer but the last in full ({@link #flopsPerToken}) but for the attention products, which run in causal blocks
     * ({@link LlamaAttention#blockedProductShare}); in the last, k and v for every token but q, o, the MLP and the
     * attention for each row's pooled token only (what a classifier reads; {@code LlamaModel} skips the rest).
     */
    static double classificationFlops(LlamaConfig c, int batch, int seq, int r) {
        double d = c.hiddenSize(), kv = (double) c.numKeyValueHeads() * c.headDim(), h = c.intermediateSize();
        double attention = 2 * 2 * seq * d * (1 - LlamaAttention.blockedProductShare(seq)); // per token, left out
        double full = flopsPerToken(c, seq, r, false)[0] / c.numHiddenLayers() - attention; // one layer, per token
        double lastKv = 2 * d * kv * 2 + (2 * d * r + 2 * r * kv); // k and v, LoRA on v
        double lastPooled = 2 * d * d * 2 + (2 * d * r + 2 * r * d) + 3 * 2 * d * h + 2 * 2 * seq * d;
        return batch * ((c.numHiddenLayers() - 1) * full * seq + lastKv * seq + lastPooled);
    }

    /** A new adapter "bench" on top of the stack. */
    private void addNew(LlamaModel model, List<String> active, LoraConfig cfg, int headLabels) {
        LoraAdapter ad = LoraAdapter.create(
                "bench",
                cfg,
                model.projections(),
                model.classifierHead(),
                model.manager(),
                DataType.FLOAT32,
                headLabels,
                model.config().hiddenSize(),
                model.config().initializerRange(),
                seed);
        model.addAdapter(ad);
        active.add("bench");
    }
}
