package org.clinlora.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.clinlora.model.io.NdArrays;

/**
 * Several fp32 tensors laid end to end in one libtorch tensor, read as views only while a step uses them. A served
 * adapter's 16 LoRA matrices held as 16 arrays cost about 1.2 KiB each beside their values (a DJL array, its libtorch
 * TensorImpl and storage, an allocation): with r = 8 on a 256-wide model, 15 % more than the values. Held here they
 * cost one array, and a step makes its views (a slice and a reshape each) in its own manager, freed with it.
 */
public final class PackedTensors implements AutoCloseable {

    /** Where one tensor lies in the packed storage, in elements (its dims as a plain array: thousands are held). */
    public record Slot(long offset, long[] dims) {
        long size() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }
    }

    /** Collects tensors, then copies them into one libtorch tensor ({@link #build}). */
    public static final class Builder {
        private final List<ByteBuffer> values = new ArrayList<>();
        private final List<Slot> slots = new ArrayList<>();
        private long elements;

        /** Adds the F32 little-endian values of a tensor of {@code shape}; its slot in the storage to come. */
        public Slot add(ByteBuffer f32, Shape shape) {
            if (f32.remaining() != shape.size() * Float.BYTES) {
                throw new IllegalArgumentException("tensor of shape " + shape + " needs " + shape.size() * Float.BYTES
                        + " bytes, got " + f32.remaining());
            }
            Slot s = new Slot(elements, shape.getShape());
            values.add(f32.duplicate());
            slots.add(s);
            elements += shape.size();
            return s;
        }

        /** One tensor holding everything added, in {@code manager}. */
        public PackedTensors build(NDManager manager) {
            return new PackedTensors(NdArrays.concatF32(manager, values));
        }
    }

    private final NDArray storage;

    private PackedTensors(NDArray storage) {
        this.storage = storage;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A view of one tensor, owned by {@code scope} (a step's manager): no copy, freed when the scope closes. */
    public NDArray view(Slot slot, NDManager scope) {
        PtNDArray flat = JniUtils.slice((PtNDArray) storage, 0, slot.offset(), slot.offset() + slot.size(), 1);
        flat.attach(scope);
        NDArray view = flat.reshape(new Shape(slot.dims()));
        flat.close(); // the reshaped view holds the storage
        return view;
    }

    /** Bytes of the values held. */
    public long bytes() {
        return storage.size() * DataType.FLOAT32.getNumOfBytes();
    }

    @Override
    public void close() {
        storage.close();
    }
}
