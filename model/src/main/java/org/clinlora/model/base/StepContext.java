package org.clinlora.model.base;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Map;

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

    public StepContext(NDManager parent, DataType dtype, boolean training) {
        this.manager = parent.newSubManager();
        this.dtype = dtype;
        this.training = training;
    }

    /** A nested step in the same dtype whose intermediates are freed when it closes (one decoder layer's). */
    public StepContext child() {
        return new StepContext(manager, dtype, training);
    }

    /** A nested step computing in another dtype (the fp32 recomputation of a half-precision layer). */
    public StepContext child(DataType computeDtype) {
        return new StepContext(manager, computeDtype, training);
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
