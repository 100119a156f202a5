package org.clinlora.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.clinlora.core.data.TokenDataset;
import org.clinlora.core.lora.LoraAdapter;
import org.clinlora.core.lora.LoraConfig;
import org.clinlora.core.metrics.ClassificationMetrics;
import org.clinlora.core.model.LlamaModel;
import org.clinlora.core.model.StepContext;
import org.clinlora.core.model.TokenBatch;

/**
 * One training job of the paper's method on a loaded base model: a new LoRA adapter — causal-LM (Clinical LoRA,
 * domain adaptation) or with the {@code score} head (Downstream LoRA) — trained with any parent adapters active
 * underneath (their deltas summed on the same projections), each parent trainable or frozen. Then evaluation on the
 * validation and test splits. Service-agnostic: the trainer service and the command line drive it.
 *
 * <p>Reproducible on CPU: the adapter's initial values, the data order (per-epoch shuffle of shards and of rows
 * within a shard, from the seed) and dropout (reseeded per micro-step) depend only on the seed, so a run resumed
 * from a checkpoint continues exactly as the uninterrupted run would have.
 */
public final class Trainer {
    public enum Kind { DOMAIN_ADAPTATION, DOWNSTREAM }

    /** LoRA and optimiser settings; {@code maxSteps} caps the optimizer steps the epochs would give. */
    public record Hyper(int r, double loraAlpha, double loraDropout, List<String> targetModules, double learningRate,
                        double warmupRatio, int batchSize, int gradientAccumulation, int epochs, Integer maxSteps,
                        double weightDecay, double maxGradNorm, long seed, boolean headOnly) {
        public Hyper {
            if (batchSize < 1 || gradientAccumulation < 1 || epochs < 1) throw new IllegalArgumentException("batch size, accumulation and epochs must be >= 1");
            if (!(learningRate > 0) || learningRate > 1) throw new IllegalArgumentException("learning rate must be in (0, 1]");
            if (!(warmupRatio >= 0 && warmupRatio < 1)) throw new IllegalArgumentException("warmup ratio must be in [0, 1)");
            if (maxSteps != null && maxSteps < 1) throw new IllegalArgumentException("maxSteps must be >= 1");
        }

        /** The paper's Clinical LoRA: r=16, alpha=32, dropout 0, q/v, lr 3e-4, warmup 0.06, batch 4 × 64, 1 epoch. */
        public static Hyper domainAdaptationDefaults(long seed) {
            return new Hyper(16, 32, 0.0, List.of("q_proj", "v_proj"), 3e-4, 0.06, 4, 64, 1, null, 0.0, 1.0, seed, false);
        }

        /** The paper's Downstream LoRA: r=8, alpha=4, dropout 0.1, q/v, lr 5e-5, warmup 0.06, batch 8 × 2, 10 epochs. */
        public static Hyper downstreamDefaults(long seed) {
            return new Hyper(8, 4, 0.1, List.of("q_proj", "v_proj"), 5e-5, 0.06, 8, 2, 10, null, 0.0, 1.0, seed, false);
        }
    }

    public record Progress(int step, int totalSteps, double epoch, double loss, double learningRate, double tokensPerSecond, double etaSeconds) {}

    public interface Listener {
        void progress(Progress p);

        /** Called after every {@code checkpointEvery}-th optimizer step; the tensors are valid during the call only. */
        void checkpoint(int step, Map<String, NDArray> tensors) throws IOException;

        /** Polled between micro-steps; true stops the run with {@link Cancelled}. */
        boolean cancelled();
    }

    public static final class Cancelled extends RuntimeException {
        public Cancelled() {
            super("cancelled");
        }
    }

    /** A checkpoint to continue from: the optimizer step it was taken after and its tensors as float32. */
    public record Resume(int step, Map<String, float[]> tensors) {}

    /** {@code before}: the validation metrics of the stack before training (perplexity for domain adaptation). */
    public record Result(LoraAdapter adapter, Map<String, Double> before, Map<String, Double> validation, Map<String, Double> test,
                         int steps, long tokens, double seconds, long trainableParameters) {}

    /** Rows to evaluate on: the named splits of a dataset (the train dataset's own "validation", or all of another). */
    public record EvalSet(TokenDataset data, List<String> splits) {
        public long rows() {
            return splits.stream().mapToLong(data::rows).sum();
        }
    }

    private final LlamaModel model;
    private final TokenDataset data;
    private final EvalSet validation, test;
    private final Kind kind;
    private final Hyper hyper;
    private final List<String> parents;

    /** {@code parents}: adapters already on the model, in stack order, trainable or frozen as set on them. */
    public Trainer(LlamaModel model, TokenDataset data, Kind kind, Hyper hyper, List<String> parents) {
        this(model, data, new EvalSet(data, List.of("validation")), new EvalSet(data, List.of("test")), kind, hyper, parents);
    }

    public Trainer(LlamaModel model, TokenDataset data, EvalSet validation, EvalSet test, Kind kind, Hyper hyper, List<String> parents) {
        this.model = model;
        this.data = data;
        this.validation = validation;
        this.test = test;
        for (EvalSet e : List.of(validation, test)) {
            if (e.data() == data) continue;
            if (e.data().causalLm() != data.causalLm() || !e.data().labelNames().equals(data.labelNames()) || e.data().multilabel() != data.multilabel()) {
                throw new IllegalArgumentException("dataset '" + e.data().id() + "' does not have the kind and labels of the train dataset '" + data.id() + "'");
            }
            if (!e.data().tokenizerSha256().equals(data.tokenizerSha256())) {
                throw new IllegalArgumentException("dataset '" + e.data().id() + "' was tokenized with another tokenizer than '" + data.id() + "'");
            }
        }
        this.kind = kind;
        this.hyper = hyper;
        this.parents = List.copyOf(parents);
        if ((kind == Kind.DOMAIN_ADAPTATION) != data.causalLm()) {
            throw new IllegalArgumentException(kind == Kind.DOMAIN_ADAPTATION
                    ? "domain adaptation needs a causal_lm dataset; '" + data.id() + "' is a classification dataset"
                    : "a downstream job needs a classification dataset; '" + data.id() + "' is causal_lm");
        }
        if (data.rows("train") == 0) throw new IllegalArgumentException("dataset '" + data.id() + "' has no train rows");
        if (hyper.headOnly() && kind != Kind.DOWNSTREAM) throw new IllegalArgumentException("head-only training is for downstream jobs");
    }

    public int totalSteps() {
        long microPerEpoch = (data.rows("train") + hyper.batchSize() - 1) / hyper.batchSize();
        long steps = Math.max(1, hyper.epochs() * microPerEpoch / hyper.gradientAccumulation());
        return (int) Math.min(hyper.maxSteps() == null ? Integer.MAX_VALUE : hyper.maxSteps(), steps);
    }

    public LoraConfig adapterConfig() {
        return kind == Kind.DOMAIN_ADAPTATION
                ? new LoraConfig("CAUSAL_LM", hyper.r(), hyper.loraAlpha(), hyper.loraDropout(), hyper.targetModules(), List.of(), false, null)
                : new LoraConfig("SEQ_CLS", hyper.r(), hyper.loraAlpha(), hyper.loraDropout(), hyper.targetModules(), List.of(LoraConfig.SCORE), false, null);
    }

    public Result run(String adapterName, Listener listener, int checkpointEvery, Resume resume) {
        // fp32 master weights whatever the compute precision: in bf16 the small LoRA updates would round away.
        LoraAdapter adapter = LoraAdapter.create(adapterName, adapterConfig(), model.projections(), model.manager(),
                ai.djl.ndarray.types.DataType.FLOAT32, kind == Kind.DOWNSTREAM ? data.labelNames().size() : 0, model.config().hiddenSize(),
                model.config().initializerRange(), hyper.seed());
        model.addAdapter(adapter);
        if (hyper.headOnly()) adapter.setHeadOnly();
        else adapter.setTrainable(true);
        List<String> active = new ArrayList<>(parents);
        active.add(adapterName);
        int total = totalSteps();
        var settings = new TrainingLoop.Settings(hyper.learningRate(), hyper.warmupRatio(), total, hyper.gradientAccumulation(),
                hyper.maxGradNorm(), new AdamW.Settings(0.9, 0.999, 1e-8, hyper.weightDecay()), hyper.seed());
        Batches batches = new Batches(data, hyper.batchSize(), hyper.seed());
        long tokens = 0;
        long t0 = System.nanoTime();
        try (TrainingLoop loop = new TrainingLoop(model, active, settings)) {
            long trainable = loop.parameters().values().stream().mapToLong(NDArray::size).sum();
            // The new adapter starts as the identity (lora_B = 0), so this is the stack as it was given.
            Map<String, Double> before = kind == Kind.DOMAIN_ADAPTATION ? evaluate(validation.rows() > 0 ? validation : test, active) : Map.of();
            int start = 0;
            if (resume != null) {
                loop.restore(resume.step(), resume.tensors());
                start = resume.step();
            }
            double lossSum = 0;
            int lossCount = 0;
            long windowTokens = 0, windowStart = System.nanoTime();
            for (long micro = (long) start * hyper.gradientAccumulation(); micro < (long) total * hyper.gradientAccumulation(); micro++) {
                if (listener.cancelled()) throw new Cancelled();
                Batches.Batch b = batches.batch(micro);
                TrainingLoop.StepResult r = loop.microStep(ctx -> loss(ctx, b, active));
                tokens += b.tokenCount();
                windowTokens += b.tokenCount();
                lossSum += r.loss();
                lossCount++;
                if (!r.optimizerStepped()) continue;
                int step = loop.optimizerSteps();
                double secs = (System.nanoTime() - windowStart) / 1e9;
                double tps = windowTokens / Math.max(secs, 1e-9);
                double perStep = (System.nanoTime() - t0) / 1e9 / Math.max(1, step - start);
                listener.progress(new Progress(step, total, (double) (micro + 1) * hyper.batchSize() / data.rows("train"),
                        lossSum / lossCount, r.learningRate(), tps, perStep * (total - step)));
                lossSum = 0;
                lossCount = 0;
                windowTokens = 0;
                windowStart = System.nanoTime();
                if (checkpointEvery > 0 && step % checkpointEvery == 0 && step < total) {
                    try {
                        listener.checkpoint(step, loop.checkpointTensors());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            for (String p : active) model.adapter(p).setTrainable(false);  // evaluation needs no gradients
            Map<String, Double> val = evaluate(validation, active), tst = evaluate(test, active);
            return new Result(adapter, before, val, tst, total, tokens, seconds, trainable);
        }
    }

    private NDArray loss(StepContext ctx, Batches.Batch b, List<String> active) {
        NDArray hidden = model.hiddenStates(ctx, b.tokens, active);
        if (kind == Kind.DOMAIN_ADAPTATION) return Losses.causalLm(ctx, model.lmLogits(ctx, hidden), b.tokens);
        NDArray logits = model.classify(ctx, hidden, b.tokens, active);
        return data.multilabel() ? Losses.bceWithLogits(ctx, logits, b.multiHot) : Losses.crossEntropy(ctx, logits, b.classes);
    }

    /** Metrics of the active stack on a split: perplexity for causal LM, the paper's classification metrics otherwise. */
    public Map<String, Double> evaluate(EvalSet set, List<String> active) {
        long rows = set.rows();
        Map<String, Double> out = new LinkedHashMap<>();
        if (rows == 0) return out;
        Batches batches = new Batches(set.data(), hyper.batchSize(), hyper.seed());
        if (kind == Kind.DOMAIN_ADAPTATION) {
            double nll = 0;
            long predicted = 0;
            for (Batches.Batch b : batches.inOrder(set.splits())) {
                try (StepContext ctx = model.newStep(false)) {
                    long n = 0;
                    for (int i = 0; i < b.tokens.batchSize(); i++) n += b.lengths[i] - 1;
                    nll += Losses.causalLm(ctx, model.lmLogits(ctx, model.hiddenStates(ctx, b.tokens, active)), b.tokens).getFloat() * n;
                    predicted += n;
                }
            }
            out.put("perplexity", Math.exp(nll / predicted));
            out.put("loss", nll / predicted);
            out.put("rows", (double) rows);
            return out;
        }
        int c = data.labelNames().size();
        List<double[]> probs = new ArrayList<>();
        List<boolean[]> truth = new ArrayList<>();
        for (Batches.Batch b : batches.inOrder(set.splits())) {
            try (StepContext ctx = model.newStep(false)) {
                NDArray logits = model.classify(ctx, model.hiddenStates(ctx, b.tokens, active), b.tokens, active);
                NDArray p = data.multilabel() ? ai.djl.nn.Activation.sigmoid(logits) : logits.softmax(-1);
                float[] v = p.toType(DataType.FLOAT32, false).toFloatArray();
                for (int i = 0; i < b.tokens.batchSize(); i++) {
                    double[] row = new double[c];
                    boolean[] t = new boolean[c];
                    for (int j = 0; j < c; j++) {
                        row[j] = v[i * c + j];
                        t[j] = data.multilabel() ? b.multiHot[i * c + j] > 0.5f : b.classes[i] == j;
                    }
                    probs.add(row);
                    truth.add(t);
                }
            }
        }
        return ClassificationMetrics.compute(probs.toArray(double[][]::new), truth.toArray(boolean[][]::new), !data.multilabel());
    }

    /** Micro-batches of the train split in the seeded order, addressable by micro-step (so a resumed run skips ahead). */
    static final class Batches {
        record Batch(TokenBatch tokens, int[] lengths, long[] classes, float[] multiHot) {
            long tokenCount() {
                long n = 0;
                for (int l : lengths) n += l;
                return n;
            }
        }

        private final TokenDataset data;
        private final int batchSize;
        private final long seed;
        private final List<TokenDataset.Shard> train;
        private final long rows;
        private int cachedEpoch = -1;
        private int[][] order;  // [position] -> {shard, row}
        private final Map<TokenDataset.Shard, TokenDataset.Rows> loaded = new LinkedHashMap<>(4, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<TokenDataset.Shard, TokenDataset.Rows> e) {
                return size() > 2;
            }
        };

        Batches(TokenDataset data, int batchSize, long seed) {
            this.data = data;
            this.batchSize = batchSize;
            this.seed = seed;
            this.train = data.shards("train");
            this.rows = data.rows("train");
        }

        Batch batch(long microStep) {
            int[][] refs = new int[batchSize][];
            for (int i = 0; i < batchSize; i++) {
                long p = microStep * batchSize + i;
                refs[i] = epochOrder((int) (p / rows))[(int) (p % rows)];
            }
            return assemble(train, refs);
        }

        /** Every row of the splits once, in stored order (evaluation). */
        List<Batch> inOrder(List<String> splits) {
            List<TokenDataset.Shard> shards = new ArrayList<>();
            for (String split : splits) shards.addAll(data.shards(split));
            List<int[]> all = new ArrayList<>();
            for (int s = 0; s < shards.size(); s++) for (int r = 0; r < shards.get(s).rows(); r++) all.add(new int[] {s, r});
            List<Batch> out = new ArrayList<>();
            for (int i = 0; i < all.size(); i += batchSize) out.add(assemble(shards, all.subList(i, Math.min(all.size(), i + batchSize)).toArray(int[][]::new)));
            return out;
        }

        private int[][] epochOrder(int epoch) {
            if (epoch == cachedEpoch) return order;
            SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
            int[] shardOrder = permutation(train.size(), rnd);
            int[][] o = new int[(int) rows][];
            int k = 0;
            for (int s : shardOrder) {
                for (int r : permutation(train.get(s).rows(), rnd.split())) o[k++] = new int[] {s, r};
            }
            cachedEpoch = epoch;
            order = o;
            return o;
        }

        private static int[] permutation(int n, SplittableRandom rnd) {
            int[] p = new int[n];
            for (int i = 0; i < n; i++) p[i] = i;
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            return p;
        }

        private Batch assemble(List<TokenDataset.Shard> shards, int[][] refs) {
            int b = refs.length, l = data.seqLen(), c = data.labelNames().size();
            long[] ids = new long[b * l], mask = new long[b * l];
            int[] lengths = new int[b];
            long[] classes = data.multilabel() || data.causalLm() ? null : new long[b];
            float[] hot = data.multilabel() ? new float[b * c] : null;
            for (int i = 0; i < b; i++) {
                TokenDataset.Rows rs = rows(shards.get(refs[i][0]));
                int row = refs[i][1];
                lengths[i] = rs.lengths()[row];
                for (int t = 0; t < l; t++) {
                    ids[i * l + t] = rs.inputIds()[row * l + t];
                    mask[i * l + t] = t < lengths[i] ? 1 : 0;
                }
                if (classes != null) classes[i] = rs.classes()[row];
                if (hot != null) System.arraycopy(rs.multiHot(), row * c, hot, i * c, c);
            }
            return new Batch(new TokenBatch(b, l, ids, mask), lengths, classes, hot);
        }

        private TokenDataset.Rows rows(TokenDataset.Shard shard) {
            TokenDataset.Rows r = loaded.get(shard);
            if (r == null) {
                try {
                    r = data.load(shard);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                loaded.put(shard, r);
            }
            return r;
        }
    }
}
