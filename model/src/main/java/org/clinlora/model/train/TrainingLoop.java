package org.clinlora.model.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.CpuDataParallel;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.lora.LoraAdapter;

/**
 * The optimisation loop shared by every training job: micro-batches accumulate gradients, then one clipped AdamW step
 * under the linear warm-up/decay schedule. Gradients reach only the active adapters marked trainable (LoRA pairs and
 * their score head); frozen adapters still contribute their deltas to the forward pass.
 *
 * <p>Runs repeat bit for bit on CPU: initial adapter values come from seeded Java generators and dropout is reseeded
 * from (seed, micro-step) before every micro-batch, so a resumed run draws the same masks as an uninterrupted one.
 * libtorch allows one gradient recording per process at a time, so one loop trains at a time per JVM.
 */
public final class TrainingLoop implements AutoCloseable {

    public record Settings(
            double learningRate,
            double warmupSteps,
            int optimizerSteps,
            int gradientAccumulation,
            double maxGradNorm,
            AdamW.Settings adamw,
            long seed) {
        public Settings {
            if (gradientAccumulation <= 0) throw new IllegalArgumentException("gradient accumulation must be >= 1");
            if (optimizerSteps <= 0) throw new IllegalArgumentException("optimizer steps must be >= 1");
        }
    }

    /** The forward pass and loss of one micro-batch, built inside the given step. */
    @FunctionalInterface
    public interface Objective {
        NDArray loss(StepContext ctx);
    }

    public record StepResult(float loss, boolean optimizerStepped, double learningRate, double gradNorm) {}

    /**
     * Rows of one micro-batch computed as a data-parallel part: their tokens, their loss (a mean over their items) and
     * their share of the accumulation window's items.
     */
    public record Part(TokenBatch tokens, BaseModel.Head head, double share) {}

    private final BaseModel model;
    private final Settings settings;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final AdamW optimizer;
    private final LinearSchedule schedule;
    private final LossScaler scaler;
    private boolean recomputeLayers;
    private final boolean adapterParameters;
    private long microSteps;
    private boolean overflow;

    public TrainingLoop(BaseModel model, List<String> active, Settings settings) {
        this.model = model;
        this.settings = settings;
        for (String name : active) {
            LoraAdapter a = model.adapter(name);
            if (!a.trainable()) continue;
            a.trainableParameters().forEach((k, v) -> params.put(name + "/" + k, v));
        }
        if (params.isEmpty()) throw new IllegalArgumentException("no active adapter is trainable: nothing to train");
        this.adapterParameters = true;
        this.optimizer = new AdamW(model.manager(), settings.adamw());
        this.schedule = new LinearSchedule(settings.learningRate(), settings.warmupSteps(), settings.optimizerSteps());
        this.scaler = model.compute().half() ? new LossScaler() : null;
        this.recomputeLayers = model.compute().half();
    }

    /**
     * A loop over the given tensors (already marked trainable) rather than adapters: full fine-tuning, where every
     * parameter of the base and its classifier trains in fp32.
     */
    public TrainingLoop(BaseModel model, Map<String, NDArray> parameters, Settings settings) {
        if (model.compute().half()) throw new IllegalArgumentException("full fine-tuning runs in fp32");
        this.model = model;
        this.settings = settings;
        params.putAll(parameters);
        if (params.isEmpty()) throw new IllegalArgumentException("nothing to train");
        this.adapterParameters = false;
        this.optimizer = new AdamW(model.manager(), settings.adamw());
        this.schedule = new LinearSchedule(settings.learningRate(), settings.warmupSteps(), settings.optimizerSteps());
        this.scaler = model.compute().half() ? new LossScaler() : null;
        this.recomputeLayers = model.compute().half();
    }

    /**
     * Back-propagates by layer recomputation ({@link LlamaModel#backwardByLayer}) even for an fp32 base (to bound a
     * large model's activation memory); a half-precision base always does.
     */
    public TrainingLoop recomputeLayers(boolean on) {
        this.recomputeLayers = on || model.compute().half();
        return this;
    }

    /** The loss scaler of a half-precision run; null in fp32. */
    public LossScaler scaler() {
        return scaler;
    }

    /**
     * One micro-batch: the decoder over {@code tokens} with the {@code active} stack, then {@code head}'s loss;
     * backward by layer recomputation for a half base (or when asked), in one graph otherwise. A non-finite loss in
     * half precision skips the step as an overflow would; in fp32 it is an error.
     */
    public StepResult microStep(TokenBatch tokens, List<String> active, BaseModel.Head head) {
        return microStep(tokens, active, head, 1.0 / settings.gradientAccumulation());
    }

    /**
     * The same with this micro-batch's share of the accumulation window's items (predicted tokens or rows): the
     * accumulated gradient is then that of the mean over all the window's items, as Hugging Face (≥ 4.46) weights
     * micro-batches of unequal size, rather than the mean of micro-batch means.
     */
    public StepResult microStep(TokenBatch tokens, List<String> active, BaseModel.Head head, double share) {
        if (!(share > 0 && share <= 1))
            throw new IllegalArgumentException("a micro-batch's share must be in (0, 1], got " + share);
        if (!recomputeLayers) return microStep(ctx -> head.loss(ctx, model.hiddenStates(ctx, tokens, active)), share);
        int seed = (int) (settings.seed() * 1_000_003L + microSteps);
        double multiplier = (scaler == null ? 1.0 : scaler.scale()) * share;
        float lossValue;
        try (StepContext ctx = model.newStep(true)) {
            lossValue = model.backwardByLayer(ctx, tokens, ActiveAdapters.all(active), head, (float) multiplier, seed);
        }
        if (!Float.isFinite(lossValue) && scaler == null)
            throw new ArithmeticException("loss is " + lossValue + " at micro-step " + microSteps);
        return afterBackward(lossValue, Float.isFinite(lossValue));
    }

    /**
     * How many data-parallel parts a micro-batch of {@code rows} rows is computed in ({@link CpuDataParallel}): 1 on a
     * GPU, for layer recomputation (a half base), for full fine-tuning and for models that do not train in parts
     * ({@link BaseModel#trainsInParts}); otherwise up to one per worker.
     */
    public int parts(int rows) {
        return splits() ? CpuDataParallel.parts(model.compute(), rows) : 1;
    }

    /** Whether this loop may compute a micro-batch as several parts at all (see {@link #parts}). */
    private boolean splits() {
        return !recomputeLayers && adapterParameters && model.trainsInParts();
    }

    /**
     * One micro-batch as parts computed side by side, each on its own worker with its own replicas of the trainable
     * tensors; their gradients are added to the trainable tensors' in part order, so a run repeats bit for bit. The
     * loss reported is the parts' mean weighted by their shares.
     */
    public StepResult microStep(List<Part> parts, List<String> active) {
        if (parts.size() == 1)
            return microStep(
                    parts.get(0).tokens(),
                    active,
                    parts.get(0).head(),
                    parts.get(0).share());
        if (!splits()) throw new IllegalStateException("this loop computes a micro-batch as one part (see parts())");
        long micro = microSteps;
        ActiveAdapters stack = ActiveAdapters.all(active);
        StepContext[] steps = new StepContext[parts.size()]; // by part: the order gradients are summed in
        try {
            List<Callable<Float>> tasks = new ArrayList<>();
            for (int i = 0; i < parts.size(); i++) {
                Part part = parts.get(i);
                int index = i;
                long dropoutSeed = (settings.seed() * 1_000_003L + micro) * 0x9E3779B97F4A7C15L + i;
                tasks.add(() -> backwardPart(part, stack, dropoutSeed, steps, index));
            }
            List<Float> losses = CpuDataParallel.run(tasks);
            double sum = 0, shares = 0;
            for (int i = 0; i < parts.size(); i++) {
                sum += losses.get(i) * parts.get(i).share();
                shares += parts.get(i).share();
            }
            addPartGradients(steps);
            return afterBackward((float) (sum / shares), true);
        } finally {
            for (StepContext s : steps) if (s != null) s.close();
        }
    }

    /** One part's forward and backward on a worker; its step (holding its replicas' gradients) stays open. */
    private float backwardPart(Part part, ActiveAdapters active, long dropoutSeed, StepContext[] steps, int index) {
        StepContext ctx =
                StepContext.trainingPart(model.manager(), model.compute().computeDtype(), params.values(), dropoutSeed);
        steps[index] = ctx;
        try {
            NDArray loss = part.head().loss(ctx, model.hiddenStates(ctx, part.tokens(), active));
            float value = loss.getFloat();
            if (!Float.isFinite(value))
                throw new ArithmeticException("loss is " + value + " at micro-step " + microSteps);
            NDArray scaled = loss.mul(ctx.scalar((float) part.share()));
            JniUtils.backward((PtNDArray) scaled, (PtNDArray) scaled.onesLike(), false, false);
            return value;
        } finally {
            JniUtils.setGradMode(false);
        }
    }

    /**
     * Adds the parts' gradients, summed in part order, to each trainable tensor's: as the backward of Σ p · G (whose
     * gradient with respect to p is G exactly), so libtorch accumulates them as it does any micro-batch's.
     */
    private void addPartGradients(StepContext[] steps) {
        try (NDManager scratch = model.manager().newSubManager()) {
            JniUtils.setGradMode(true);
            NDArray total = null;
            for (NDArray p : params.values()) {
                NDArray g = null;
                for (StepContext s : steps) {
                    NDArray part = s.replica(p).getGradient();
                    part.attach(scratch);
                    g = g == null ? part : g.add(part);
                }
                NDArray term = g.mul(p).sum();
                total = total == null ? term : total.add(term);
            }
            JniUtils.backward((PtNDArray) total, (PtNDArray) total.onesLike(), false, false);
        } finally {
            JniUtils.setGradMode(false);
        }
    }

    /** Trainable tensors as {@code adapter/peft-key}. */
    public Map<String, NDArray> parameters() {
        return params;
    }

    public StepResult microStep(Objective objective) {
        if (recomputeLayers)
            throw new IllegalStateException(
                    "a half-precision base trains by layer recomputation: use microStep(tokens, active, head)");
        return microStep(objective, 1.0 / settings.gradientAccumulation());
    }

    private StepResult microStep(Objective objective, double share) {
        Engine.getInstance().setRandomSeed((int) (settings.seed() * 1_000_003L + microSteps));
        float lossValue;
        try (StepContext ctx = model.newStep(true);
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = objective.loss(ctx);
            lossValue = loss.getFloat();
            if (!Float.isFinite(lossValue))
                throw new ArithmeticException("loss is " + lossValue + " at micro-step " + microSteps);
            double multiplier = (scaler == null ? 1.0 : scaler.scale()) * share;
            gc.backward(multiplier == 1.0 ? loss : loss.mul(ctx.scalar((float) multiplier)));
        }
        return afterBackward(lossValue, true);
    }

    private StepResult afterBackward(float lossValue, boolean finite) {
        microSteps++;
        overflow |= !finite;
        if (microSteps % settings.gradientAccumulation() != 0) return new StepResult(lossValue, false, 0, Double.NaN);
        if (scaler != null) {
            boolean ok = scaler.unscaleAndCheck(params, !overflow);
            overflow = false;
            if (!ok)
                return new StepResult(lossValue, false, 0, Double.NaN); // skipped: no optimizer step, as GradScaler
        }
        double norm = settings.maxGradNorm() > 0
                ? Gradients.clipGlobalNorm(params, settings.maxGradNorm(), model.manager())
                : Double.NaN;
        double lr = schedule.lr(optimizer.stepCount());
        optimizer.step(params, lr);
        Gradients.zero(params);
        return new StepResult(lossValue, true, lr, norm);
    }

    public long microSteps() {
        return microSteps;
    }

    public int optimizerSteps() {
        return optimizer.stepCount();
    }

    /**
     * What a checkpoint must hold to continue bit for bit: the trainable tensors ({@code param/<key>}) and the
     * optimiser moments. Take it right after an optimizer step, when no gradient is accumulated.
     */
    public Map<String, NDArray> checkpointTensors() {
        if (microSteps % settings.gradientAccumulation() != 0)
            throw new IllegalStateException("checkpoint between optimizer steps");
        Map<String, NDArray> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put("param/" + k, v));
        out.putAll(optimizer.stateTensors());
        if (scaler != null) out.putAll(scaler.stateTensors(model.manager()));
        return out;
    }

    /** Continues from a checkpoint: parameters overwritten in place, moments and counters restored. */
    public void restore(int optimizerSteps, Map<String, float[]> tensors) {
        setParameters(tensors, "param/");
        optimizer.restore(optimizerSteps, tensors, params);
        if (scaler != null) scaler.restore(tensors);
        this.microSteps = (long) optimizerSteps * settings.gradientAccumulation();
    }

    /** A copy of the trainable tensors' values as float32, by {@code prefix + key} (a kept epoch, say). */
    public Map<String, float[]> parameterValues(String prefix) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(prefix + k, v.toFloatArray())); // trainable tensors are fp32 master weights
        return out;
    }

    /** Overwrites the trainable tensors in place from {@code prefix + key} values (every one must be there). */
    public void setParameters(Map<String, float[]> values, String prefix) {
        JniUtils.setGradMode(false); // in-place writes to trainable leaves
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            float[] v = values.get(prefix + e.getKey());
            if (v == null) throw new IllegalArgumentException("checkpoint has no tensor for " + e.getKey());
            NDArray p = e.getValue();
            if (v.length != p.size())
                throw new IllegalArgumentException("checkpoint tensor " + e.getKey() + " has the wrong size");
            try (NDArray src = model.manager().create(v, p.getShape())) {
                p.set(src.toType(p.getDataType(), false)
                        .toDevice(p.getDevice(), false)
                        .toByteBuffer());
            }
        }
    }

    @Override
    public void close() {
        optimizer.close();
    }
}
