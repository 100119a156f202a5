package org.clinlora.model.io;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.util.Set;

/** Named tensors of a checkpoint, one safetensors file or several shards, read lazily through memory maps. */
public interface Weights extends Closeable {
    Set<String> names();

    SafeTensors.Entry entry(String name);

    /** Little-endian F32 bytes in a direct buffer (F16/BF16 converted). */
    ByteBuffer f32Bytes(String name);

    default float[] floats(String name) {
        ByteBuffer b = f32Bytes(name);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }
}
