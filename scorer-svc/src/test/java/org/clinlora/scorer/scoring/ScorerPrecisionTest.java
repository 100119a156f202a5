package org.clinlora.scorer.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Optional;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.testing.InMemoryBlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** clinlora.scorer.precision=bf16 stops the scorer with one line naming the engine's limitation, never an abort. */
class ScorerPrecisionTest {

    static ScorerConfig withPrecision(Path dir, String precision) {
        TestScorerConfig base = new TestScorerConfig(Optional.empty(), dir, 128, 64);
        return (ScorerConfig) Proxy.newProxyInstance(
                ScorerConfig.class.getClassLoader(),
                new Class<?>[] {ScorerConfig.class},
                (proxy, method, args) -> method.getName().equals("precision") ? precision : method.invoke(base, args));
    }

    @Test
    void bf16IsRefusedInOneLineAndFp16IsAccepted(@TempDir Path dir) {
        ScorerConfig bf16 = withPrecision(dir, "bf16");
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new ScoringModel(new ModelStore(new InMemoryBlobStore()), new BaseModelBinding(bf16), bf16));
        assertTrue(
                e.getMessage().contains("bf16 is not supported")
                        && e.getMessage().contains("DJL"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        ScorerConfig fp16 = withPrecision(dir, "fp16");
        ScoringModel m = new ScoringModel(new ModelStore(new InMemoryBlobStore()), new BaseModelBinding(fp16), fp16);
        assertEquals(DataType.FLOAT16, m.compute().dtype());
    }
}
