package org.clinlora.model.io;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import sun.misc.Unsafe;

/**
 * Releases a direct or memory-mapped buffer now instead of at the next garbage collection. Loading a checkpoint maps
 * each tensor once and copies it into a native array; without an early unmap, every mapping would stay resident until a
 * GC and a 13 GiB model would briefly count twice.
 */
final class Buffers {
    private static final Unsafe UNSAFE = unsafe();

    private Buffers() {}

    private static Unsafe unsafe() {
        try {
            Field f = Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (Unsafe) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // then buffers are released by the GC, as usual
        }
    }

    /** Frees {@code buffer}; it must be a direct buffer this code allocated or mapped, never used again. */
    static void release(ByteBuffer buffer) {
        if (UNSAFE == null || !buffer.isDirect()) return;
        try {
            UNSAFE.invokeCleaner(buffer);
        } catch (IllegalArgumentException e) {
            // a slice or duplicate: the GC frees it
        }
    }
}
