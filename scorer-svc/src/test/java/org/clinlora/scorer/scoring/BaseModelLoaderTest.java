package org.clinlora.scorer.scoring;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Which failures end the scorer (exit 4) rather than being retried: a native library or heap problem, even wrapped. */
class BaseModelLoaderTest {
    @Test
    void aLinkageErrorOrOutOfMemoryIsFinalEvenWhenWrapped() {
        UnsatisfiedLinkError link = new UnsatisfiedLinkError("libtorch_cuda.so: cannot open shared object file");
        assertSame(link, BaseModelLoader.fatalCause(link));
        assertSame(link, BaseModelLoader.fatalCause(new IllegalStateException("engine", link)));
        OutOfMemoryError oom = new OutOfMemoryError("Java heap space");
        assertSame(oom, BaseModelLoader.fatalCause(new RuntimeException(oom)));
        assertNull(BaseModelLoader.fatalCause(new IllegalStateException("store", new IOException("refused"))));
    }
}
