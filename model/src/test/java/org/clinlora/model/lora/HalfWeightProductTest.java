package org.clinlora.model.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.List;
import org.clinlora.model.base.StepContext;
import org.junit.jupiter.api.Test;

/**
 * A half weight computed in fp32 (fp16 on CPU) gives the product of its fp32 cast, whether the cast is whole or in
 * blocks of output rows — here 2,100 rows of 4,096 (8.6 M elements): blocks of 1,024 rows and a ragged last one of 52.
 */
class HalfWeightProductTest {

    @Test
    void aHalfWeightCastInBlocksGivesTheProductOfTheWholeCast() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(11);
            NDArray w = m.randomNormal(0, 0.02f, new Shape(2100, 4096), DataType.FLOAT32)
                    .toType(DataType.FLOAT16, false);
            NDArray x = m.randomNormal(new Shape(2, 3, 4096));
            LoraLinear layer = new LoraLinear("model.layers.0.mlp.up_proj", w);
            assertEquals(true, w.size() >= 2 * LoraLinear.CAST_BLOCK_ELEMENTS, "the weight is large enough for blocks");

            float[] want = Linear.linear(x, w.toType(DataType.FLOAT32, false))
                    .singletonOrThrow()
                    .toFloatArray();
            float[] got;
            long arraysBefore;
            try (StepContext ctx = new StepContext(m, DataType.FLOAT32, false)) {
                NDArray y = layer.forward(ctx, x, ActiveAdapters.all(List.of()));
                assertEquals(new Shape(2, 3, 2100), y.getShape());
                assertEquals(DataType.FLOAT32, y.getDataType());
                got = y.toFloatArray();
                arraysBefore = ctx.manager().getManagedArrays().size();
            }
            assertArrayEquals(want, got, 1e-5f);
            assertEquals(1, arraysBefore, "only the product is left in the step: every block and cast was freed");
        }
    }
}
