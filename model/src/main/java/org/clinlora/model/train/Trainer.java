package org.clinlora.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.CpuDataParallel;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.data.TokenDataset;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.metrics.ClassificationMetrics;
import org.clinlora.model.metrics.Predictions;
import org.clinlora.model.task.TaskKind;

/**
 * One training job of the paper's method on a loaded base model: a new LoRA adapter — causal-LM (Clinical LoRA, domain
 * adaptation) or with the {@code score} head (Downstream LoRA) — trained with any parent adapters active underneath
 * (their deltas summed on the same projections), each parent trainable or frozen. Then evaluation on the validation and
 * test splits. Service-agnostic: the trainer service and the command line drive it.
 *
 * <p>A downstream run follows a {@link DownstreamProtocol}: class weights, which epoch is kept (best validation macro
 * AUROC by default, or the lowest validation loss, or the last epoch), how AUROC is computed and how the new adapter
 * stacks on its parent. The default is this project's choice, not the paper's code: that code weighted classes, kept
 * the last epoch (first version) or the lowest validation loss (revised version) and, through PEFT 0.4, never applied
 * the Downstream LoRA beside the Clinical one; {@code docs/EXPERIMENT.md} sets the two side by side.
 *
 * <p>Reproducible on CPU: the adapter's initial values, the data order (per-epoch shuffle of shards and of rows within
 * a shard, from the seed) and dropout (reseeded per micro-step) depend only on the seed, so a run resumed from a
 * checkpoint continues exactly as the uninterrupted run would have.
 */
public final class Trainer {
    /**
     * One optimizer step as logged: the mean loss of its micro-batches, the learning rate it used, training tokens/s
     * since the previous step, the global gradient norm before clipping, and the loss scale of a half-precision run (1
     * in fp32).
     */
    public record Progress(
            int step,
            int totalSteps,
            double epoch,
            double loss,
            double learningRate,
            double tokensPerSecond,
            double etaSeconds,
            double gradNorm,
            double lossScale) {}

    public interface Listener {
        void progress(Progress p);

        /** Called after every {@code checkpointEvery}-th optimizer step; the tensors are valid during the call only. */
        void checkpoint(int step, Map<String, NDArray> tensors) throws IOException;

        /** Polled between micro-steps; true stops the run with {@link Cancelled}. */
        boolean cancelled();

        /**
         * The validation split scored at the end of an epoch (and at the last step), when the run selects its epoch:
         * the per-epoch series a run tracker plots. A resumed run reports only the epochs after its checkpoint.
         */
        default void epochScored(EpochScore score) {}

        /** A listener that wants nothing: no progress, no checkpoints, never cancelled. */
        static Listener none() {
            return new Listener() {
                @Override
                public void progress(Progress p) {}

                @Override
                public void checkpoint(int step, Map<String, NDArray> tensors) {}

                @Override
                public boolean cancelled() {
                    return false;
                }
            };
        }
    }

    public static final class Cancelled extends RuntimeException {
        public Cancelled() {
            super("cancelled");
        }
    }

    /** A checkpoint to continue from: the optimizer step it was taken after and its tensors as float32. */
    public record Resume(int step, Map<String, float[]> tensors) {}

    /**
     * {@code before}: the validation metrics of the stack before training (perplexity for domain adaptation);
     * {@code validation}: those of the adapter kept (the best epoch's when selecting); {@code testPredictions}: row by
     * row (null for domain adaptation or without test rows); {@code epochs}: the validation score at each epoch's end
     * and {@code selected} the one kept, when selecting an epoch (else empty and null); {@code notices}: what a
     * researcher should know about the schedule (too few optimizer steps, a dropped accumulation window).
     */
    public record Result(
            LoraAdapter adapter,
            Map<String, Double> before,
            Map<String, Double> validation,
            Map<String, Double> test,
            int steps,
            long tokens,
            double seconds,
            long trainableParameters,
            Predictions testPredictions,
            List<EpochScore> epochs,
            EpochScore selected,
            List<String> notices) {
        /** The same run with its test split scored afterwards (once, on the kept adapter), by {@link #metrics}. */
        public Result withTest(Predictions p, Map<String, Double> metrics) {
            return new Result(
                    adapter,
                    before,
                    validation,
                    metrics,
                    steps,
                    tokens,
                    seconds,
                    trainableParameters,
                    p,
                    epochs,
                    selected,
                    notices);
        }

        /** The same run's figures only: no adapter, no row-by-row predictions (what a finished report keeps). */
        public Result figuresOnly() {
            return new Result(
                    null,
                    before,
                    validation,
                    test,
                    steps,
                    tokens,
                    seconds,
                    trainableParameters,
                    null,
                    epochs,
                    selected,
                    notices);
        }
    }

    /**
     * Validation macro AUROC and loss after {@code epoch} epochs (fractional when training stopped mid-epoch), at
     * optimizer step {@code step}.
     */
    public record EpochScore(double epoch, int step, double validationMacroAuroc, double validationLoss) {}

    /** Rows to evaluate on: the named splits of a dataset (the train dataset's own "validation", or all of another). */
    public record EvalSet(TokenDataset data, List<String> splits) {
        public long rows() {
            return splits.stream().mapToLong(data::rows).sum();
        }
    }

    private final BaseModel model;
    private final TokenDataset data;
    private final EvalSet validation, test;
    private final TaskKind kind;
    private final Hyperparameters hyper;
    private final List<String> parents;
    private DownstreamProtocol protocol = DownstreamProtocol.DEFAULT.withSelection(ModelSelection.LAST_EPOCH);
    private boolean fullFineTuning;

    /** {@code parents}: adapters already on the model, in stack order, trainable or frozen as set on them. */
    public Trainer(BaseModel model, TokenDataset data, TaskKind kind, Hyperparameters hyper, List<String> parents) {
        this(
                model,
                data,
                new EvalSet(data, List.of("validation")),
                new EvalSet(data, List.of("test")),
                kind,
                hyper,
                parents);
    }

    public Trainer(
            BaseModel model,
            TokenDataset data,
            EvalSet validation,
            EvalSet test,
            TaskKind kind,
            Hyperparameters hyper,
            List<String> parents) {
        this.model = model;
        this.data = data;
        this.validation = validation;
        this.test = test;
        for (EvalSet e : List.of(validation, test)) {
            if (e.data() == data) continue;
            if (e.data().causalLm() != data.causalLm()
                    || !e.data().labelNames().equals(data.labelNames())
                    || e.data().multilabel() != data.multilabel()) {
                throw new IllegalArgumentException("dataset '" + e.data().id()
                        + "' does not have the kind and labels of the train dataset '" + data.id() + "'");
            }
            if (!e.data().tokenizerSha256().equals(data.tokenizerSha256())) {
                throw new IllegalArgumentException("dataset '" + e.data().id()
                        + "' was tokenized with another tokenizer than '" + data.id() + "'");
            }
        }
        this.kind = kind;
        this.hyper = hyper;
        this.parents = List.copyOf(parents);
        if ((kind == TaskKind.CAUSAL_LM) != data.causalLm()) {
            throw new IllegalArgumentException(
                    kind == TaskKind.CAUSAL_LM
                            ? "domain adaptation needs a causal_lm dataset; '" + data.id()
                                    + "' is a classification dataset"
                            : "a downstream job needs a classification dataset; '" + data.id() + "' is causal_lm");
        }
        if (data.rows("train") == 0)
            throw new IllegalArgumentException("dataset '" + data.id() + "' has no train rows");
        if (hyper.headOnly() && kind != TaskKind.SEQ_CLS)
            throw new IllegalArgumentException("head-only training is for downstream jobs");
    }

    /**
     * The downstream protocol (without one: {@link DownstreamProtocol#DEFAULT}'s choices but the last epoch kept).
     * Selecting an epoch scores the validation split at the end of every epoch and keeps the best one by the protocol's
     * measure; without validation rows nothing is chosen and the last epoch stays.
     */
    public Trainer protocol(DownstreamProtocol p) {
        if (kind != TaskKind.SEQ_CLS && !p.equals(this.protocol))
            throw new IllegalArgumentException("a downstream protocol is for downstream (classification) runs");
        if (p.stacking() == Stacking.ACTIVE_ONLY && parents.size() > 1)
            throw new IllegalArgumentException(
                    "active-only stacking models PEFT 0.4 with one loaded adapter; give at most one parent");
        this.protocol = p;
        return this;
    }

    public DownstreamProtocol protocol() {
        return protocol;
    }

    /**
     * What a researcher should know before trusting the schedule: fewer than 10 optimizer steps (a small corpus with a
     * large accumulation trains almost nothing), micro-batches left out because the last accumulation window of the run
     * was incomplete, or — the epochs holding less than one window, so one step is forced — rows trained twice.
     */
    public List<String> scheduleNotices() {
        List<String> out = new ArrayList<>();
        int total = totalSteps();
        if (total < 10)
            out.add(String.format(
                    "only %d optimizer step%s (%d train rows, batch %d x %d accumulated, %d epochs)",
                    total,
                    total == 1 ? "" : "s",
                    data.rows("train"),
                    hyper.batchSize(),
                    hyper.gradientAccumulation(),
                    hyper.epochs()));
        long micro = hyper.epochs() * microPerEpoch();
        long dropped = micro - (long) total * hyper.gradientAccumulation();
        boolean capped = hyper.maxSteps() != null && hyper.maxSteps() < micro / hyper.gradientAccumulation();
        if (dropped > 0 && !capped)
            out.add(String.format(
                    "the last %d of %d micro-batches never reach an optimizer step (an incomplete accumulation window of %d)",
                    dropped, micro, hyper.gradientAccumulation()));
        if (dropped < 0) // totalSteps() forces one step: its window runs on into rows of another epoch
        out.add(String.format(
                "the one optimizer step accumulates %d micro-batches, %d more than the %d epochs hold: rows repeat",
                hyper.gradientAccumulation(), -dropped, hyper.epochs()));
        return out;
    }

    /**
     * Trains every parameter of the base and its classifier instead of a LoRA adapter: the paper's fully fine-tuned
     * BERT baselines. The result has no adapter; the trained model is saved with {@link BaseModel#saveModel}.
     */
    public Trainer fullFineTuning(boolean on) {
        if (on && (kind != TaskKind.SEQ_CLS || !parents.isEmpty() || hyper.headOnly())) {
            throw new IllegalArgumentException(
                    "full fine-tuning is for downstream (classification) runs on a bare base, without parent adapters or head-only");
        }
        this.fullFineTuning = on;
        return this;
    }

    private long microPerEpoch() {
        return (data.rows("train") + hyper.batchSize() - 1) / hyper.batchSize();
    }

    public int totalSteps() {
        long steps = Math.max(1, hyper.epochs() * microPerEpoch() / hyper.gradientAccumulation());
        return (int) Math.min(hyper.maxSteps() == null ? Integer.MAX_VALUE : hyper.maxSteps(), steps);
    }

    /** The new adapter's config: PEFT's, with the base architecture's classification head saved for SEQ_CLS. */
    public LoraConfig adapterConfig() {
        return kind == TaskKind.CAUSAL_LM
                ? new LoraConfig(
                        "CAUSAL_LM",
                        hyper.r(),
                        hyper.loraAlpha(),
                        hyper.loraDropout(),
                        hyper.targetModules(),
                        List.of(),
                        false,
                        null)
                : new LoraConfig(
                        "SEQ_CLS",
                        hyper.r(),
                        hyper.loraAlpha(),
                        hyper.loraDropout(),
                        hyper.targetModules(),
                        List.of(model.classifierHead().module()),
                        false,
                        null);
    }

    public Result run(String adapterName, Listener listener, int checkpointEvery, Resume resume) {
        String refused = model.config()
                .cannotTrain(
                        kind, fullFineTuning, model.compute().half(), fullFineTuning ? null : hyper.targetModules());
        if (refused != null) throw new IllegalArgumentException(refused);
        Trainables trainables = trainables(adapterName);
        int total = totalSteps();
        long t0 = System.nanoTime(); // the run's seconds include the evaluation before training, as they always have
        try (TrainingLoop loop = trainables.fullParameters() != null
                ? new TrainingLoop(model, trainables.fullParameters(), loopSettings(total))
                : new TrainingLoop(model, trainables.active(), loopSettings(total))) {
            List<String> active = trainables.active();
            // The new adapter starts as the identity (lora_B = 0), so this is the stack as it was given.
            Map<String, Double> before =
                    kind == TaskKind.CAUSAL_LM ? evaluate(validation.rows() > 0 ? validation : test, active) : Map.of();
            Selection selection =
                    kind == TaskKind.SEQ_CLS && protocol.selection().scoresEpochs() && validation.rows() > 0
                            ? new Selection()
                            : null;
            int start = 0;
            if (resume != null) {
                loop.restore(resume.step(), resume.tensors());
                start = resume.step();
                if (selection != null) selection.restore(resume.tensors());
            }
            Run run = new Run(loop, active, selection, listener, checkpointEvery, start, total, t0);
            run.train();
            return finish(run, trainables, before);
        }
    }

    /** What a run trains: a new LoRA adapter stacked on the parents, or (full fine-tuning) the encoder itself. */
    private record Trainables(LoraAdapter adapter, List<String> active, Map<String, NDArray> fullParameters) {}

    private Trainables trainables(String adapterName) {
        List<String> active = new ArrayList<>(parents);
        if (fullFineTuning) {
            return new Trainables(
                    null, active, model.fullFineTuning(data.labelNames().size(), hyper.seed()));
        }
        boolean neverApplied = protocol.stacking() == Stacking.ACTIVE_ONLY && !parents.isEmpty();
        // fp32 master weights whatever the compute precision: in bf16 the small LoRA updates would round away.
        LoraAdapter adapter = LoraAdapter.create(
                adapterName,
                adapterConfig(),
                model.projections(),
                model.classifierHead(),
                model.manager(),
                DataType.FLOAT32,
                kind == TaskKind.SEQ_CLS ? data.labelNames().size() : 0,
                model.config().hiddenSize(),
                model.config().initializerRange(),
                hyper.seed());
        model.addAdapter(adapter);
        if (neverApplied) {
            // PEFT 0.4 applied only the adapter loaded first: the new LoRA pair exists (and is saved, B still zero)
            // but is off every projection, so it gets no gradient; its classification head trains as usual.
            adapter.detachFrom(model.projections());
            adapter.setHeadOnly();
        } else if (hyper.headOnly()) adapter.setHeadOnly();
        else adapter.setTrainable(true);
        active.add(adapterName);
        return new Trainables(adapter, active, null);
    }

    private TrainingLoop.Settings loopSettings(int total) {
        return new TrainingLoop.Settings(
                hyper.learningRate(),
                hyper.warmupSteps(total),
                total,
                hyper.gradientAccumulation(),
                hyper.maxGradNorm(),
                new AdamW.Settings(0.9, 0.999, 1e-8, hyper.weightDecay()),
                hyper.seed());
    }

    /** Restores the kept epoch, freezes what trained and scores validation and test. */
    private Result finish(Run run, Trainables trainables, Map<String, Double> before) {
        double seconds = (System.nanoTime() - run.t0) / 1e9;
        Selection selection = run.selection;
        List<String> active = trainables.active();
        if (selection != null && selection.best != null && selection.best.step() != run.total)
            run.loop.setParameters(selection.bestValues, "");
        for (String p : active) model.adapter(p).setTrainable(false); // evaluation needs no gradients
        if (trainables.fullParameters() != null)
            trainables.fullParameters().values().forEach(p -> p.setRequiresGradient(false));
        Map<String, Double> val =
                selection != null && selection.best != null ? selection.bestMetrics : evaluate(validation, active);
        Predictions testPredictions = kind == TaskKind.SEQ_CLS && test.rows() > 0 ? predict(test, active) : null;
        Map<String, Double> tst = testPredictions != null ? metrics(testPredictions) : evaluate(test, active);
        long trainable =
                run.loop.parameters().values().stream().mapToLong(NDArray::size).sum();
        return new Result(
                trainables.adapter(),
                before,
                val,
                tst,
                run.total,
                run.tokens,
                seconds,
                trainable,
                testPredictions,
                selection == null ? List.of() : List.copyOf(selection.history),
                selection == null ? null : selection.best,
                scheduleNotices());
    }

    /** One run of the optimizer loop: micro-batches, progress per optimizer step, epoch scoring and checkpoints. */
    private final class Run {
        final TrainingLoop loop;
        final List<String> active;
        final Selection selection;
        final Listener listener;
        final int checkpointEvery;
        final int start;
        final int total;
        final TrainingBatches batches = new TrainingBatches(data, hyper.batchSize(), hyper.seed());
        final long t0;
        long tokens;
        // The window since the last optimizer step, for the progress report.
        double lossSum;
        int lossCount;
        long windowTokens;
        long windowStart = System.nanoTime();
        long windowItems;

        Run(
                TrainingLoop loop,
                List<String> active,
                Selection selection,
                Listener listener,
                int checkpointEvery,
                int start,
                int total,
                long t0) {
            this.loop = loop;
            this.active = active;
            this.selection = selection;
            this.listener = listener;
            this.checkpointEvery = checkpointEvery;
            this.start = start;
            this.total = total;
            this.t0 = t0;
        }

        void train() {
            int accumulation = hyper.gradientAccumulation();
            for (long micro = (long) start * accumulation; micro < (long) total * accumulation; micro++) {
                if (listener.cancelled()) throw new Cancelled();
                TrainingBatches.Batch b = batches.batch(micro);
                if (micro % accumulation == 0)
                    windowItems = batches.windowItems(micro, accumulation, kind == TaskKind.CAUSAL_LM);
                double share = (double) b.items(kind == TaskKind.CAUSAL_LM) / windowItems;
                TrainingLoop.StepResult r =
                        loop.microStep(parts(b, loop.parts(b.tokens().batchSize()), share), active);
                tokens += b.tokenCount();
                windowTokens += b.tokenCount();
                lossSum += r.loss();
                lossCount++;
                if (r.optimizerStepped()) afterOptimizerStep(micro, r);
            }
        }

        /**
         * The micro-batch's rows as data-parallel parts, each with its share of the batch's: by items, or for a
         * class-weighted cross-entropy (a mean over the rows' class weights) by the weights of its rows' classes. The
         * whole batch as one part when {@code n} is 1 or a part would have nothing to average over (rows of one token
         * each).
         */
        private List<TrainingLoop.Part> parts(TrainingBatches.Batch b, int n, double share) {
            List<TrainingLoop.Part> whole = List.of(part(b, share));
            if (n == 1) return whole;
            int[] bounds = CpuDataParallel.boundaries(b.tokens().batchSize(), n);
            List<TrainingBatches.Batch> rows = new ArrayList<>();
            double weightSum = 0;
            double[] weight = new double[n];
            for (int i = 0; i < n; i++) {
                rows.add(b.rows(bounds[i], bounds[i + 1]));
                weight[i] = lossWeight(rows.get(i));
                if (weight[i] <= 0) return whole;
                weightSum += weight[i];
            }
            List<TrainingLoop.Part> out = new ArrayList<>();
            for (int i = 0; i < n; i++) out.add(part(rows.get(i), share * weight[i] / weightSum));
            return out;
        }

        private TrainingLoop.Part part(TrainingBatches.Batch rows, double share) {
            return new TrainingLoop.Part(rows.tokens(), (ctx, hidden) -> loss(ctx, hidden, rows, active), share);
        }

        private void afterOptimizerStep(long micro, TrainingLoop.StepResult r) {
            int step = loop.optimizerSteps();
            reportProgress(micro, step, r);
            double epoch = (double) (micro + 1) / microPerEpoch();
            if (selection != null && ((long) epoch > (long) selection.lastEpoch() || step == total))
                listener.epochScored(selection.score(epoch, step, loop, active));
            if (checkpointEvery > 0 && step % checkpointEvery == 0 && step < total) checkpoint(step);
        }

        private void reportProgress(long micro, int step, TrainingLoop.StepResult r) {
            double secs = (System.nanoTime() - windowStart) / 1e9;
            double tps = windowTokens / Math.max(secs, 1e-9);
            double perStep = (System.nanoTime() - t0) / 1e9 / Math.max(1, step - start);
            listener.progress(new Progress(
                    step,
                    total,
                    (double) (micro + 1) * hyper.batchSize() / data.rows("train"),
                    lossSum / lossCount,
                    r.learningRate(),
                    tps,
                    perStep * (total - step),
                    r.gradNorm(),
                    loop.scaler() == null ? 1.0 : loop.scaler().scale()));
            lossSum = 0;
            lossCount = 0;
            windowTokens = 0;
            windowStart = System.nanoTime();
        }

        private void checkpoint(int step) {
            try (NDManager m = model.manager().newSubManager()) {
                Map<String, NDArray> tensors = new LinkedHashMap<>(loop.checkpointTensors());
                if (selection != null) tensors.putAll(selection.tensors(m));
                listener.checkpoint(step, tensors);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The epochs scored so far and the best one's trainable values; in checkpoints under {@code selection/}. */
    private final class Selection {
        final List<EpochScore> history = new ArrayList<>();
        EpochScore best;
        Map<String, float[]> bestValues;
        Map<String, Double> bestMetrics;

        double lastEpoch() {
            return history.isEmpty() ? 0 : history.get(history.size() - 1).epoch();
        }

        EpochScore score(double epoch, int step, TrainingLoop loop, List<String> active) {
            Map<String, Double> m = evaluate(validation, active);
            EpochScore e = new EpochScore(
                    epoch, step, m.getOrDefault("macro_auroc", Double.NaN), m.getOrDefault("loss", Double.NaN));
            history.add(e);
            if (best == null || better(e, best)) {
                best = e;
                bestValues = loop.parameterValues("");
                bestMetrics = m;
            }
            return e;
        }

        /**
         * Strictly better replaces: on a tie the earlier epoch stays. A NaN score (every label one-class) never wins.
         */
        private boolean better(EpochScore e, EpochScore than) {
            boolean byLoss = protocol.selection() == ModelSelection.LOWEST_VALIDATION_LOSS;
            double score = byLoss ? -e.validationLoss() : e.validationMacroAuroc();
            double current = byLoss ? -than.validationLoss() : than.validationMacroAuroc();
            return !Double.isNaN(score) && (Double.isNaN(current) || score > current);
        }

        Map<String, NDArray> tensors(NDManager m) {
            Map<String, NDArray> out = new LinkedHashMap<>();
            float[] h = new float[history.size() * 7];
            for (int i = 0; i < history.size(); i++) {
                EpochScore e = history.get(i);
                exact(e.epoch(), h, i * 7);
                h[i * 7 + 3] = e.step();
                exact(e.validationMacroAuroc(), h, i * 7 + 4);
            }
            if (history.isEmpty()) return out; // nothing scored yet: nothing to carry
            out.put("selection/history", m.create(h, new Shape(history.size(), 7)));
            float[] losses = new float[history.size() * 3];
            for (int i = 0; i < history.size(); i++) exact(history.get(i).validationLoss(), losses, i * 3);
            out.put("selection/loss", m.create(losses));
            if (best != null) {
                out.put("selection/best_step", m.create(new float[] {best.step()}));
                bestValues.forEach((k, v) -> out.put("selection/param/" + k, m.create(v)));
                // the kept epoch's validation metrics, so a resumed run reports them without the old values
                List<String> keys = ClassificationMetrics.NAMES;
                float[] mv = new float[keys.size() * 3];
                for (int i = 0; i < keys.size(); i++)
                    exact(bestMetrics.getOrDefault(keys.get(i), Double.NaN), mv, i * 3);
                out.put("selection/metrics", m.create(mv));
            }
            return out;
        }

        void restore(Map<String, float[]> t) {
            float[] h = t.get("selection/history");
            if (h == null) return; // a checkpoint from before the first epoch ended
            float[] losses = t.get("selection/loss"); // absent in checkpoints written before losses were kept
            for (int i = 0; i + 6 < h.length; i += 7) {
                int k = i / 7 * 3;
                double loss = losses != null && k + 2 < losses.length ? exact(losses, k) : Double.NaN;
                history.add(new EpochScore(exact(h, i), (int) h[i + 3], exact(h, i + 4), loss));
            }
            float[] b = t.get("selection/best_step");
            if (b == null) return;
            best = history.stream()
                    .filter(e -> e.step() == (int) b[0])
                    .findFirst()
                    .orElseThrow();
            bestValues = new LinkedHashMap<>();
            t.forEach((k, v) -> {
                if (k.startsWith("selection/param/")) bestValues.put(k.substring("selection/param/".length()), v);
            });
            float[] mv = t.get("selection/metrics");
            bestMetrics = new LinkedHashMap<>();
            List<String> keys = ClassificationMetrics.NAMES;
            for (int i = 0; i < keys.size() && i * 3 + 2 < mv.length; i++)
                bestMetrics.put(keys.get(i), exact(mv, i * 3));
        }

        /**
         * A double in three floats, exactly: its 64 bits as three integers below 2^22 (checkpoints hold float32
         * tensors).
         */
        private static void exact(double v, float[] out, int at) {
            long bits = Double.doubleToRawLongBits(v);
            out[at] = (float) (bits & 0x3FFFFF);
            out[at + 1] = (float) ((bits >>> 22) & 0x3FFFFF);
            out[at + 2] = (float) (bits >>> 44);
        }

        private static double exact(float[] in, int at) {
            return Double.longBitsToDouble((long) in[at] | ((long) in[at + 1] << 22) | ((long) in[at + 2] << 44));
        }
    }

    private NDArray loss(StepContext ctx, NDArray hidden, TrainingBatches.Batch b, List<String> active) {
        if (kind == TaskKind.CAUSAL_LM) return Losses.causalLm(ctx, model, hidden, b.tokens());
        NDArray logits = model.classify(ctx, hidden, b.tokens(), active);
        return data.multilabel()
                ? Losses.bceWithLogits(ctx, logits, b.multiHot())
                : Losses.crossEntropy(ctx, logits, b.classes(), classWeights());
    }

    private float[] classWeights;

    /** What a batch's loss is a mean over: its items, or the class weights of its rows' classes when they apply. */
    private double lossWeight(TrainingBatches.Batch b) {
        float[] w = kind == TaskKind.CAUSAL_LM || data.multilabel() ? null : classWeights();
        if (w == null) return b.items(kind == TaskKind.CAUSAL_LM);
        double sum = 0;
        for (long c : b.classes()) if (c >= 0) sum += w[(int) c];
        return sum;
    }

    /** The cross-entropy's class weights from the train split's class counts, or null (none asked, or multi-label). */
    private float[] classWeights() {
        if (protocol.classWeighting() != ClassWeighting.INVERSE_FREQUENCY || data.multilabel()) return null;
        if (classWeights == null) {
            long[] counts = new long[data.labelNames().size()];
            for (TrainingBatches.Batch b :
                    new TrainingBatches(data, hyper.batchSize(), hyper.seed()).inOrder(List.of("train")))
                for (long c : b.classes()) if (c >= 0) counts[(int) c]++;
            classWeights = ClassWeights.asFloat32(ClassWeights.inverseFrequency(counts));
        }
        return classWeights;
    }

    /** The classification metrics of predictions made by this run, with its protocol's AUROC. */
    public Map<String, Double> metrics(Predictions p) {
        return p.metrics(protocol.multiclassAuroc());
    }

    /**
     * Metrics of the active stack on a split: perplexity for causal LM, the paper's classification metrics otherwise.
     */
    public Map<String, Double> evaluate(EvalSet set, List<String> active) {
        long rows = set.rows();
        Map<String, Double> out = new LinkedHashMap<>();
        if (rows == 0) return out;
        TrainingBatches batches = new TrainingBatches(set.data(), hyper.batchSize(), hyper.seed());
        if (kind == TaskKind.CAUSAL_LM) {
            double nll = 0;
            long predicted = 0;
            for (TrainingBatches.Batch b : batches.inOrder(set.splits())) {
                try (StepContext ctx = model.newStep(false)) {
                    long n = 0;
                    for (int i = 0; i < b.tokens().batchSize(); i++) n += b.lengths()[i] - 1;
                    nll += Losses.causalLm(ctx, model, model.hiddenStates(ctx, b.tokens(), active), b.tokens())
                                    .getFloat()
                            * n;
                    predicted += n;
                }
            }
            out.put("perplexity", Math.exp(nll / predicted));
            out.put("loss", nll / predicted);
            out.put("rows", (double) rows);
            return out;
        }
        Predictions p = predict(set, active);
        Map<String, Double> m = new LinkedHashMap<>(p.metrics(protocol.multiclassAuroc()));
        m.put("loss", lastLoss);
        return m;
    }

    /** The mean loss per row of the last {@link #predict} (unweighted, as the model's own loss). */
    private double lastLoss = Double.NaN;

    /**
     * Every row's label scores and true labels, in stored order, with the source row ids (classification): softmax
     * probabilities for single-label tasks, the protocol's score function for multi-label ones.
     */
    public Predictions predict(EvalSet set, List<String> active) {
        if (kind != TaskKind.SEQ_CLS) throw new IllegalStateException("predictions are for classification");
        TrainingBatches batches = new TrainingBatches(set.data(), hyper.batchSize(), hyper.seed());
        int c = data.labelNames().size();
        List<double[]> probs = new ArrayList<>();
        List<boolean[]> truth = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        ValidationLoss loss = new ValidationLoss(data.multilabel(), c);
        for (TrainingBatches.Batch b : batches.inOrder(set.splits())) {
            try (StepContext ctx = model.newStep(false)) {
                NDArray logits = model.classify(ctx, b.tokens(), active);
                NDArray p = data.multilabel()
                        ? protocol.multilabelScores().apply(logits)
                        : data.problemType().probabilities(logits);
                float[] v = p.toType(DataType.FLOAT32, false).toFloatArray();
                loss.add(logits.toType(DataType.FLOAT32, false).toFloatArray(), b);
                for (int i = 0; i < b.tokens().batchSize(); i++) {
                    double[] row = new double[c];
                    boolean[] t = new boolean[c];
                    for (int j = 0; j < c; j++) {
                        row[j] = v[i * c + j];
                        t[j] = data.multilabel() ? b.multiHot()[i * c + j] > 0.5f : b.classes()[i] == j;
                    }
                    probs.add(row);
                    truth.add(t);
                    ids.add(b.ids()[i]);
                }
            }
        }
        lastLoss = loss.mean();
        boolean hasIds = ids.stream().allMatch(Objects::nonNull);
        return new Predictions(
                data.labelNames(),
                !data.multilabel(),
                hasIds ? ids : null,
                probs.toArray(double[][]::new),
                truth.toArray(boolean[][]::new));
    }
}
