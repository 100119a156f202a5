package org.clinlora.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Bridges DJL arrays and safetensors tensors. */
public final class NdArrays {
    private NdArrays() {}

    /**
     * A tensor owning a copy of little-endian F32 bytes. DJL's {@code create(directBuffer)} aliases the buffer rather
     * than copying it; over a read-only memory map that would crash on the first in-place update (merge, AdamW) and
     * dangle once the map is collected, so we clone natively and drop the alias at once. The copy lives in native
     * memory: loading a checkpoint never holds it twice in the Java heap.
     */
    public static NDArray fromF32(NDManager manager, ByteBuffer f32, Shape shape) {
        try (NDArray alias = manager.create(f32, shape, DataType.FLOAT32)) {
            return alias.duplicate();
        } finally {
            Reference.reachabilityFence(f32);
        }
    }

    /**
     * One 1-d F32 array of {@code parts} end to end (each F32 little-endian), built by libtorch in {@code manager}: no
     * staging buffer in Java's direct memory, which a scorer's small heap would limit, and no 2 GiB bound.
     */
    public static NDArray concatF32(NDManager manager, List<ByteBuffer> parts) {
        try (NDManager scratch = manager.newSubManager()) {
            NDList flat = new NDList(parts.size());
            for (ByteBuffer p : parts) flat.add(fromF32(scratch, p, new Shape(p.remaining() / Float.BYTES)));
            NDArray all = flat.size() == 1 ? flat.head().duplicate() : NDArrays.concat(flat);
            all.attach(manager);
            return all;
        }
    }

    /** The array's values as an F32, I64 or I32 safetensors tensor (half precision is widened to F32). */
    public static SafeTensors.Tensor toTensor(NDArray a) {
        long[] shape = a.getShape().getShape();
        DataType t = a.getDataType();
        if (t == DataType.INT64) return SafeTensors.Tensor.i64(shape, a.toLongArray());
        if (t == DataType.INT32) return SafeTensors.Tensor.i32(shape, a.toIntArray());
        NDArray f = t == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
        ByteBuffer src = f.toByteBuffer();
        ByteBuffer copy = ByteBuffer.allocate(src.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(src.order(ByteOrder.nativeOrder()));
        if (f != a) f.close();
        return new SafeTensors.Tensor(SafeTensors.Dtype.F32, shape, copy.flip());
    }
}
