package org.clinlora.cli.bench;

import static org.clinlora.cli.bench.Timing.secondsSince;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.lora.LoraLinear;
import org.clinlora.model.train.AdamW;
import org.clinlora.model.train.Losses;
import org.clinlora.model.train.TrainingLoop;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./clinlora bench scale}: LLaMA-2-7B-shaped checkpoints at 2, 8 and 32 layers, each measured in its own JVM (so
 * one size's freed memory never counts for the next): load time, peak resident memory, scoring of one 128-token note
 * and of a batch of 8, and one Clinical LoRA training step (r 16, alpha 32, q_proj+v_proj, batch 1 x 128, causal LM)
 * with its peak resident memory, against the bound 1.2 x the checkpoint's bytes + 1 GiB. Each time is the best of
 * {@code --repeat} runs, and each is also given as model GFLOP/s against the fp32 matmul peak measured in the same JVM
 * just before (the 7B goal: scoring at 70 % of it or more).
 */
@Command(
        name = "scale",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description =
                "Real-size figures: a LLaMA-2-7B-shaped fp16 checkpoint at several depths; load, score and one LoRA step with peak RSS.",
        footer = {
            "Without --model the checkpoints are written once under --dir (13.5 GB for 32 layers) and reused.",
            "Peak RSS is the kernel's high-water mark (VmHWM), reset between phases through /proc/self/clear_refs."
        })
final class BenchScaleCommand extends CliCommand {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RESULT = "SCALE-RESULT ";

    @Option(
            names = "--layers",
            split = ",",
            defaultValue = "2,8,32",
            description = "depths to measure (default ${DEFAULT-VALUE})")
    List<Integer> layers;

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "where the checkpoints are written and kept (default .run/bench-scale)")
    Path dir;

    @Option(names = "--model", paramLabel = "DIR", description = "measure this model directory only, in this JVM")
    Path model;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda[:N] (default ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--precision", defaultValue = "fp16", description = "fp16 or fp32 (default ${DEFAULT-VALUE})")
    String precision;

    @Option(names = "--seq", defaultValue = "128", description = "tokens per note (default ${DEFAULT-VALUE})")
    int seq;

    @Option(
            names = "--repeat",
            defaultValue = "2",
            description = "runs of each measurement, the best reported (default ${DEFAULT-VALUE})")
    int repeat;

    @Override
    protected void execute() throws Exception {
        atLeast("--seq", seq, 2);
        atLeast("--repeat", repeat, 1);
        Compute.Precision.parse(precision); // a refused precision fails here, before any checkpoint is written
        if (model != null) {
            System.out.println(
                    RESULT + JSON.writeValueAsString(measure(model, Compute.parse(device, precision), seq, repeat)));
            return;
        }
        Path root = dir != null
                ? dir
                : Path.of(System.getenv().getOrDefault("CLINLORA_ROOT", ".")).resolve(".run/bench-scale");
        List<JsonNode> rows = new ArrayList<>();
        System.out.printf(
                "bench scale: LLaMA-2-7B shape (hidden 4096, 32 heads, intermediate 11008, vocab 32000), %s on %s, %d-token notes%n",
                precision, device, seq);
        System.out.printf(
                "  environment: %d cores, OMP_WAIT_POLICY=%s, GLIBC_TUNABLES=%s%n",
                Runtime.getRuntime().availableProcessors(),
                System.getenv("OMP_WAIT_POLICY"),
                System.getenv("GLIBC_TUNABLES"));
        for (int l : layers) {
            atLeast("--layers", l, 1);
            Path m = root.resolve("llama-2-7b-shape-" + l + "-layers");
            ensureCheckpoint(m, l);
            rows.add(child(m));
            printTable(rows);
        }
    }

    /** Writes the checkpoint unless a complete one of that depth is there. */
    private static void ensureCheckpoint(Path m, int l) throws IOException {
        if (Files.isRegularFile(m.resolve("config.json")) && Files.isRegularFile(m.resolve("tokenizer.json"))) {
            LlamaConfig c = LlamaConfig.read(m.resolve("config.json"));
            if (c.numHiddenLayers() == l && c.hiddenSize() == 4096) return;
        }
        if (Files.exists(m)) PeftAdapterDir.deleteTree(m);
        long t0 = System.nanoTime();
        TinyLlama.write(
                m,
                new TinyLlama.Spec(32000, 4096, l, 32, 32, 11008, 4096, false, 0),
                SafeTensors.Dtype.F16,
                5_000_000_000L);
        System.out.printf("  wrote %s in %.1f s%n", m, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Runs {@code bench scale --model m} in a fresh JVM with this JVM's class path and settings; returns its result.
     */
    private JsonNode child(Path m) throws IOException, InterruptedException {
        return ChildJvm.run(
                entryPoint(),
                RESULT,
                m.toString(),
                List.of(
                        "bench",
                        "scale",
                        "--model",
                        m.toString(),
                        "--device",
                        device,
                        "--precision",
                        precision,
                        "--seq",
                        Integer.toString(seq),
                        "--repeat",
                        Integer.toString(repeat)));
    }

    private void printTable(List<JsonNode> rows) {
        System.out.println();
        System.out.printf(
                "| layers | checkpoint | load | peak RSS load+score | fp32 matmul peak | score 1 x %1$d | score 8 x %1$d | LoRA step 1 x %1$d | peak RSS step | bound 1.2x+1GiB |%n",
                seq);
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (JsonNode r : rows) {
            System.out.printf(
                    "| %d | %.2f GB | %.1f s | %.2f GB | %.0f GFLOP/s | %s | %s | %s | %.2f GB | %.2f GB %s |%n",
                    r.get("layers").asInt(),
                    r.get("checkpoint_bytes").asDouble() / 1e9,
                    r.get("load_s").asDouble(),
                    r.get("peak_rss_score_bytes").asDouble() / 1e9,
                    r.get("matmul_peak_gflops").asDouble(),
                    utilisation(r, "score1"),
                    utilisation(r, "score8"),
                    utilisation(r, "train_step"),
                    r.get("peak_rss_train_bytes").asDouble() / 1e9,
                    r.get("bound_bytes").asDouble() / 1e9,
                    r.get("within_bound").asBoolean() ? "(within)" : "(EXCEEDED)");
        }
        System.out.println();
    }

    /** "2.95 s, 281 GFLOP/s = 71 %" for the measurement {@code key}. */
    private static String utilisation(JsonNode r, String key) {
        return String.format(
                "%.2f s, %.0f GFLOP/s = %.0f %%",
                r.get(key + "_s").asDouble(),
                r.get(key + "_gflops").asDouble(),
                100
                        * r.get(key + "_gflops").asDouble()
                        / r.get("matmul_peak_gflops").asDouble());
    }

    /** One model in this JVM: the figures as a JSON object. */
    static Map<String, Object> measure(Path dir, Compute compute, int seq, int repeat) throws IOException {
        Engine.getInstance();
        long checkpoint = checkpointBytes(dir);
        long bytesInDtype = compute.half() ? checkpoint : checkpoint * 2; // the checkpoint is fp16 on disk
        Map<String, Object> out = new LinkedHashMap<>();
        resetPeak();
        long t0 = System.nanoTime();
        try (LlamaModel model = LlamaModel.load(dir, compute)) {
            out.put("layers", model.config().numHiddenLayers());
            out.put("checkpoint_bytes", checkpoint);
            out.put("load_s", secondsSince(t0));
            out.put("peak_rss_load_bytes", peakRss());
            System.out.printf(
                    "loaded %d layers in %.1f s, peak RSS %.2f GB (now %.2f GB)%n",
                    model.config().numHiddenLayers(), secondsSince(t0), peakRss() / 1e9, rss() / 1e9);
            // Two fp32 peaks: the house 2048² square (the MFU denominator of the other benches) and one decoder
            // layer's seven projections as fp32 GEMMs at 8 x seq tokens, which run faster here; the higher one counts.
            double square = Machine.matmulPeak(compute), layer = layerGemmPeak(model.config(), 8 * seq);
            double peak = Math.max(square, layer);
            out.put("matmul_square_gflops", square);
            out.put("matmul_layer_gflops", layer);
            out.put("matmul_peak_gflops", peak);
            System.out.printf(
                    "fp32 matmul in this JVM: 2048x2048 %.1f GFLOP/s, one layer's projections at %d tokens %.1f GFLOP/s%n",
                    square, 8 * seq, layer);
            // Where a one-note score loses against the peak: the products at seq rows with fp32 weights, and the same
            // products from the model's own weights (their half -> fp32 casts included).
            double rows = layerGemmPeak(model.config(), seq), own = layerFromOwnWeights(model, seq);
            out.put("layer_gemm_fp32_weights_seq_gflops", rows);
            out.put("layer_gemm_own_weights_seq_gflops", own);
            System.out.printf(
                    "one layer's projections at %d tokens: %.1f GFLOP/s with fp32 weights (%.0f %% of the peak), %.1f GFLOP/s"
                            + " from the model's %s weights (%.0f %%)%n",
                    seq,
                    rows,
                    100 * rows / peak,
                    own,
                    model.projections().values().iterator().next().weight().getDataType(),
                    100 * own / peak);
            measureScoring(model, seq, repeat, out);
            measureTrainingStep(model, seq, repeat, out);
        }
        long bound = (long) (1.2 * bytesInDtype) + (1L << 30);
        long worst =
                Math.max((long) out.get("peak_rss_train_bytes"), Math.max((long) out.get("peak_rss_score_bytes"), (long)
                        out.get("peak_rss_load_bytes")));
        out.put("bound_bytes", bound);
        out.put("within_bound", worst <= bound);
        return out;
    }

    /** Bytes of the model's safetensors files. */
    private static long checkpointBytes(Path dir) throws IOException {
        long checkpoint = 0;
        try (var files = Files.list(dir)) {
            for (Path f :
                    files.filter(f -> f.toString().endsWith(".safetensors")).toList()) checkpoint += Files.size(f);
        }
        return checkpoint;
    }

    /** Scoring: a Downstream LoRA (r 8, alpha 4) with its score head on q/v, one note, then eight. */
    private static void measureScoring(LlamaModel model, int seq, int repeat, Map<String, Object> out) {
        LoraConfig downstream = new LoraConfig(
                "SEQ_CLS", 8, 4, 0.1, List.of("q_proj", "v_proj"), List.of(LoraConfig.SCORE), false, null);
        addAdapter(model, "task", downstream, 4);
        score(model, 1, 8); // warm-up of the kernels on a short input
        double s1 = best(repeat, () -> score(model, 1, seq)), s8 = best(repeat, () -> score(model, 8, seq));
        LlamaConfig c = model.config();
        out.put("score1_s", s1);
        out.put("score1_gflops", ModelBench.classificationFlops(c, 1, seq, downstream.r()) / s1 / 1e9);
        out.put("score8_s", s8);
        out.put("score8_gflops", ModelBench.classificationFlops(c, 8, seq, downstream.r()) / s8 / 1e9);
        out.put("peak_rss_score_bytes", peakRss());
        System.out.printf(
                "scored 1 x %d in %.2f s, 8 x %d in %.2f s, peak RSS %.2f GB (now %.2f GB)%n",
                seq, s1, seq, s8, peakRss() / 1e9, rss() / 1e9);
        model.removeAdapter("task");
    }

    /**
     * One Clinical LoRA step: r 16, alpha 32, q_proj+v_proj, causal LM, batch 1 x seq, AdamW at the paper's lr. Its
     * GFLOP/s count the model's FLOPs (forward and input gradients), not the layer recomputation a half base adds.
     */
    private static void measureTrainingStep(LlamaModel model, int seq, int repeat, Map<String, Object> out) {
        resetPeak();
        LoraConfig clinical =
                new LoraConfig("CAUSAL_LM", 16, 32, 0.0, List.of("q_proj", "v_proj"), List.of(), false, null);
        addAdapter(model, "clinical", clinical, 0).setTrainable(true);
        TokenBatch tokens = randomTokens(model, 1, seq);
        var settings = new TrainingLoop.Settings(3e-4, 0, repeat, 1, 1.0, new AdamW.Settings(0.9, 0.999, 1e-8, 0), 1);
        TrainingLoop.StepResult r = null;
        double step = Double.MAX_VALUE;
        try (TrainingLoop loop = new TrainingLoop(model, List.of("clinical"), settings)) {
            for (int i = 0; i < repeat; i++) {
                long t1 = System.nanoTime();
                r = loop.microStep(
                        tokens, List.of("clinical"), (ctx, hidden) -> Losses.causalLm(ctx, model, hidden, tokens));
                step = Math.min(step, secondsSince(t1));
            }
        }
        out.put("train_step_s", step);
        out.put(
                "train_step_gflops",
                ModelBench.flopsPerToken(model.config(), seq, clinical.r(), true)[0] * seq / step / 1e9);
        out.put("train_loss", r.loss());
        out.put("optimizer_stepped", r.optimizerStepped());
        out.put("peak_rss_train_bytes", peakRss());
        System.out.printf(
                "LoRA step (loss %.3f, optimizer stepped %s) in %.1f s, peak RSS %.2f GB%n",
                r.loss(), r.optimizerStepped(), step, peakRss() / 1e9);
    }

    /**
     * fp32 GEMM throughput of one decoder layer's projections (q, k, v, o: hidden²; gate, up, down: hidden x
     * intermediate) on {@code tokens} rows, with fp32 weights: what the model's products reach with nothing else around
     * them. Best of five after one warm-up.
     */
    static double layerGemmPeak(LlamaConfig c, int tokens) {
        long d = c.hiddenSize(), kv = (long) c.numKeyValueHeads() * c.headDim(), h = c.intermediateSize();
        long[][] shapes = {{d, d}, {kv, d}, {kv, d}, {d, d}, {h, d}, {h, d}, {d, h}}; // [out, in]
        double flops = 0;
        for (long[] s : shapes) flops += 2.0 * tokens * s[0] * s[1];
        try (NDManager m = NDManager.newBaseManager()) {
            List<NDArray[]> pairs = new ArrayList<>();
            for (long[] s : shapes)
                pairs.add(
                        new NDArray[] {m.randomNormal(new Shape(tokens, s[1])), m.randomNormal(new Shape(s[0], s[1]))});
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 6; i++) {
                long t0 = System.nanoTime();
                for (NDArray[] p : pairs)
                    Linear.linear(p[0], p[1]).singletonOrThrow().close();
                if (i > 0) best = Math.min(best, secondsSince(t0));
            }
            return flops / best / 1e9;
        }
    }

    /** Layer 0's seven projections of {@code seq} tokens through the model's own weights, no adapter: GFLOP/s. */
    static double layerFromOwnWeights(LlamaModel model, int seq) {
        List<LoraLinear> layer0 = model.projections().entrySet().stream()
                .filter(e -> e.getKey().startsWith("model.layers.0."))
                .map(Map.Entry::getValue)
                .toList();
        double flops = 0;
        for (LoraLinear p : layer0) flops += 2.0 * seq * p.inFeatures() * p.outFeatures();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 6; i++) {
            try (StepContext ctx = model.newStep(false)) {
                List<NDArray> xs = new ArrayList<>();
                for (LoraLinear p : layer0) xs.add(ctx.manager().randomNormal(new Shape(1, seq, p.inFeatures())));
                long t0 = System.nanoTime();
                for (int j = 0; j < layer0.size(); j++)
                    layer0.get(j)
                            .forward(ctx, xs.get(j), ActiveAdapters.all(List.of()))
                            .close();
                if (i > 0) best = Math.min(best, secondsSince(t0));
            }
        }
        return flops / best / 1e9;
    }

    /** The least of {@code n} runs' seconds. */
    private static double best(int n, DoubleSupplier run) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < n; i++) best = Math.min(best, run.getAsDouble());
        return best;
    }

    private static LoraAdapter addAdapter(LlamaModel model, String name, LoraConfig cfg, int labels) {
        LoraAdapter a = LoraAdapter.create(
                name,
                cfg,
                model.projections(),
                model.classifierHead(),
                model.manager(),
                DataType.FLOAT32,
                labels,
                model.config().hiddenSize(),
                0.02,
                1);
        model.addAdapter(a);
        return a;
    }

    private static double score(LlamaModel model, int batch, int seq) {
        TokenBatch tokens = randomTokens(model, batch, seq);
        long t0 = System.nanoTime();
        try (StepContext ctx = model.newStep(false)) {
            NDArray logits = model.classify(ctx, tokens, List.of("task"));
            logits.toFloatArray();
        }
        return secondsSince(t0);
    }

    private static TokenBatch randomTokens(LlamaModel model, int batch, int seq) {
        SplittableRandom rnd = new SplittableRandom(batch * 31L + seq);
        long[] ids = new long[batch * seq];
        for (int i = 0; i < ids.length; i++)
            ids[i] = 3 + rnd.nextInt(model.config().vocabSize() - 3);
        return TokenBatch.unpadded(batch, seq, ids);
    }

    /** VmHWM of this process in bytes (Linux); -1 elsewhere. */
    static long peakRss() {
        return selfBytes("VmHWM");
    }

    /** VmRSS of this process in bytes (Linux); -1 elsewhere. */
    static long rss() {
        return selfBytes("VmRSS");
    }

    private static long selfBytes(String field) {
        try {
            long kib = ProcStatus.kib("self", field);
            return kib < 0 ? -1 : kib * 1024;
        } catch (IOException | RuntimeException e) {
            return -1; // not Linux
        }
    }

    /** Resets VmHWM to the current RSS (Linux ≥ 4.0: writing 5 to clear_refs). */
    static void resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            // the high-water mark then covers the whole run
        }
    }
}
