package org.clinlora.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.util.Set;

/** Named tensors of a checkpoint, one safetensors file or several shards, read lazily through memory maps. */
public interface Weights extends Closeable {
    Set<String> names();

    SafeTensors.Entry entry(String name);

    /** Little-endian F32 bytes in a direct buffer (F16/BF16 converted). */
    ByteBuffer f32Bytes(String name);

    /** The tensor as a native array of {@code dtype}, copied once from the memory map (see SafeTensorsReader). */
    NDArray toNDArray(NDManager manager, String name, DataType dtype);

    default float[] floats(String name) {
        ByteBuffer b = f32Bytes(name);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }
}
