package org.clinlora.model.base;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import ai.djl.pytorch.jni.JniUtils;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * One forward (and backward) pass: a sub-manager that owns every intermediate array, so closing the context frees them
 * all, and the scalar constants the graph uses.
 *
 * <p>Two DJL rules shape the model code:
 *
 * <ul>
 *   <li>An op's result belongs to the manager of its receiver, so shared weights are never the receiver
 *       ({@code Linear.linear(x, w)}, {@code x.mul(w)}): every intermediate lands here, and one base model can serve
 *       concurrent steps without re-attaching its weights.
 *   <li>Under autograd, {@code x.mul(3f)} builds a temporary scalar tensor that can be freed before backward (wrong or
 *       NaN gradients at random in DJL 0.36). Scalars come from {@link #scalar(float)}, owned by this context and alive
 *       until it closes.
 * </ul>
 */
public final class StepContext implements AutoCloseable {

    private final NDManager manager;
    private final boolean training;
    private final DataType dtype;
    private final Map<String, NDArray> scalars = new HashMap<>();
    private final Map<NDArray, NDArray> replicas;
    private final SplittableRandom dropoutRandom;

    public StepContext(NDManager parent, DataType dtype, boolean training) {
        this(parent, dtype, training, Map.of(), null);
    }

    private StepContext(
            NDManager parent,
            DataType dtype,
            boolean training,
            Map<NDArray, NDArray> replicas,
            SplittableRandom dropoutRandom) {
        this.manager = parent.newSubManager();
        this.dtype = dtype;
        this.training = training;
        this.replicas = replicas;
        this.dropoutRandom = dropoutRandom;
    }

    /**
     * The step of one data-parallel training part ({@link CpuDataParallel}), on the worker thread that runs it: its own
     * replica of each trainable tensor (sharing the tensor's values, with a gradient of its own, so that parts computed
     * side by side are summed in a fixed order), and its own dropout stream seeded by {@code dropoutSeed} (libtorch's
     * generator is one per process, drawn from in whatever order threads reach it).
     */
    public static StepContext trainingPart(
            NDManager parent, DataType dtype, Iterable<NDArray> trainable, long dropoutSeed) {
        Map<NDArray, NDArray> replicas = new IdentityHashMap<>();
        StepContext ctx = new StepContext(parent, dtype, true, replicas, new SplittableRandom(dropoutSeed));
        try {
            JniUtils.setGradMode(false);
            for (NDArray p : trainable) {
                NDArray r = p.stopGradient(); // the same storage, a new leaf
                r.attach(ctx.manager);
                r.setRequiresGradient(true);
                replicas.put(p, r);
            }
            JniUtils.setGradMode(true);
            return ctx;
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
    }

    /** The step of one data-parallel inference part, on the worker thread that runs it (no graph there). */
    public StepContext inferencePart() {
        JniUtils.setGradMode(false);
        return new StepContext(manager, dtype, training, replicas, dropoutRandom);
    }

    /**
     * Runs {@code work} in a nested step that borrows {@code lent} and returns its result, which belongs to this step;
     * everything else made from the lent arrays is freed when it returns. An op's result belongs to its receiver's
     * manager: lending the arrays makes every intermediate computed from them (views included) land in the nested step,
     * and each goes back to its own manager afterwards. Under a graph, autograd keeps what backward needs whatever is
     * freed here.
     */
    public NDArray nested(Function<StepContext, NDArray> work, NDArray... lent) {
        try (StepContext inner = child()) {
            for (NDArray x : lent) x.tempAttach(inner.manager());
            NDArray out = work.apply(inner);
            for (NDArray x : lent) if (out == x) return out; // a lent array stays its own manager's
            out.attach(manager);
            return out;
        }
    }

    /**
     * {@link #nested} where no graph records the step, so that part of a layer frees its intermediates before the rest
     * of the layer runs; under a graph the work runs in this step (the graph keeps its intermediates anyway).
     */
    public NDArray scratch(Function<StepContext, NDArray> work, NDArray... lent) {
        return JniUtils.isGradMode() ? work.apply(this) : nested(work, lent);
    }

    /** A nested step in the same dtype whose intermediates are freed when it closes (one decoder layer's). */
    public StepContext child() {
        return new StepContext(manager, dtype, training, replicas, dropoutRandom);
    }

    /** A nested step computing in another dtype (the fp32 recomputation of a half-precision layer). */
    public StepContext child(DataType computeDtype) {
        return new StepContext(manager, computeDtype, training, replicas, dropoutRandom);
    }

    /** The tensor this step computes with for a trainable tensor: its part's replica, or the tensor itself. */
    public NDArray parameter(NDArray tensor) {
        NDArray r = replicas.get(tensor);
        return r == null ? tensor : r;
    }

    /** This part's replica of a trainable tensor (its gradient is the part's), or null outside a training part. */
    public NDArray replica(NDArray tensor) {
        return replicas.get(tensor);
    }

    /**
     * Dropout of {@code x} with probability {@code p} while training ({@code x} itself otherwise): kept values scaled
     * by 1 / (1 - p), as torch.nn.Dropout. The mask comes from libtorch's generator, or a data-parallel part's own
     * stream.
     */
    public NDArray dropout(NDArray x, float p) {
        if (!training || p <= 0) return x;
        if (dropoutRandom == null) return Dropout.dropout(x, p, true).singletonOrThrow();
        float keep = 1 - p, scale = 1 / keep;
        float[] m = new float[Math.toIntExact(x.size())];
        for (int i = 0; i < m.length; i++) m[i] = dropoutRandom.nextFloat() < keep ? scale : 0f;
        NDArray mask = manager.create(m, x.getShape());
        return x.mul(mask.getDataType() == x.getDataType() ? mask : mask.toType(x.getDataType(), false));
    }

    public NDManager manager() {
        return manager;
    }

    /** Dropout is applied only while training. */
    public boolean training() {
        return training;
    }

    public DataType dtype() {
        return dtype;
    }

    /** A 0-d tensor of the compute dtype holding {@code value}, alive until this context closes. */
    public NDArray scalar(float value) {
        return scalar(value, dtype);
    }

    /** The same in another dtype (the fp32 islands of a half-precision step). */
    public NDArray scalar(float value, DataType type) {
        return scalars.computeIfAbsent(value + "/" + type, k -> manager.full(new Shape(), value, type));
    }

    @Override
    public void close() {
        manager.close();
    }
}
