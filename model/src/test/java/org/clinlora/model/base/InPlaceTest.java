package org.clinlora.model.base;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Writing into a fresh intermediate gives the allocating op's values, and happens only where it is safe. */
class InPlaceTest {
    private NDManager manager;

    @BeforeEach
    void open() {
        Engine.getInstance();
        JniUtils.setGradMode(false);
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        JniUtils.setGradMode(false);
        manager.close();
    }

    private NDArray random(long... shape) {
        return manager.randomNormal(new Shape(shape));
    }

    @Test
    void withoutAGraphTheResultIsWrittenIntoTheFreshTensorBitForBit() {
        NDArray a = random(2, 3, 4), mask = random(2, 1, 4), scale = random(4);
        float[] sum = a.add(mask).toFloatArray(), product = a.mul(scale).toFloatArray();
        NDArray fresh = a.duplicate();
        assertSame(fresh, InPlace.add(fresh, mask));
        assertArrayEquals(sum, fresh.toFloatArray(), 0f);
        NDArray fresh2 = a.duplicate();
        assertSame(fresh2, InPlace.mul(fresh2, scale));
        assertArrayEquals(product, fresh2.toFloatArray(), 0f);
    }

    @Test
    void underAGraphANewTensorIsMadeAndTheOperandKept() {
        NDArray fresh = random(2, 3), other = random(2, 3);
        float[] before = fresh.toFloatArray();
        JniUtils.setGradMode(true);
        NDArray sum = InPlace.add(fresh, other);
        assertNotSame(fresh, sum);
        assertArrayEquals(before, fresh.toFloatArray(), 0f);
    }

    @Test
    void aResultOfAnotherShapeOrDtypeIsANewTensor() {
        NDArray column = random(3, 1), row = random(1, 4);
        NDArray outer = InPlace.mul(column, row); // broadcasts to [3, 4]: larger than the fresh tensor
        assertNotSame(column, outer);
        assertEquals(new Shape(3, 4), outer.getShape());

        NDArray half = random(2, 2).toType(DataType.FLOAT16, false), full = random(2, 2);
        assertNotSame(half, InPlace.add(half, full)); // fp16 + fp32 is fp32
        NDArray fp32 = random(2, 2);
        assertSame(fp32, InPlace.add(fp32, half)); // fp32 + fp16 is fp32: half weights, fp32 compute
    }

    @Test
    void broadcastShapesAreMatchedFromTheRight() {
        Shape target = new Shape(4, 8, 16, 16);
        assertEquals(true, InPlace.broadcastsInto(new Shape(4, 1, 16, 16), target));
        assertEquals(true, InPlace.broadcastsInto(new Shape(16), target));
        assertEquals(true, InPlace.broadcastsInto(new Shape(), target));
        assertEquals(false, InPlace.broadcastsInto(new Shape(8, 16), new Shape(16)));
        assertEquals(false, InPlace.broadcastsInto(new Shape(4, 2, 16, 16), target));
    }

    @Test
    void releaseFreesOnlyWhereNoGraphWillReadTheArray() {
        NDArray dead = random(2, 3);
        InPlace.release(dead, null);
        assertTrue(dead.isReleased());
        NDArray saved = random(2, 3);
        JniUtils.setGradMode(true);
        InPlace.release(saved);
        assertFalse(saved.isReleased());
    }

    @Test
    void aScratchStepFreesWhatItMadeAndKeepsItsResult() {
        try (StepContext ctx = new StepContext(manager, DataType.FLOAT32, false)) {
            NDArray x = random(2, 4), y = random(2, 4);
            float[] expected = x.mul(x).add(y).toFloatArray();
            NDArray[] made = new NDArray[1];
            NDArray out = ctx.scratch(
                    s -> {
                        made[0] = x.mul(x);
                        return made[0].add(y);
                    },
                    x);
            assertTrue(made[0].isReleased(), "the intermediate is freed when the scratch step returns");
            assertFalse(x.isReleased());
            assertSame(manager, x.getManager(), "a lent array goes back to its own manager");
            assertSame(ctx.manager(), out.getManager());
            assertArrayEquals(expected, out.toFloatArray(), 0f);
            assertSame(x, ctx.scratch(s -> x, x), "a lent array returned as it is stays its own manager's");
            assertSame(manager, x.getManager());
        }
    }

    @Test
    void underAGraphAScratchStepIsTheStepItself() {
        try (StepContext ctx = new StepContext(manager, DataType.FLOAT32, false)) {
            NDArray x = random(2, 4);
            NDArray[] made = new NDArray[1];
            JniUtils.setGradMode(true);
            ctx.scratch(
                    s -> {
                        made[0] = x.mul(x);
                        return made[0].add(x);
                    },
                    x);
            assertFalse(made[0].isReleased(), "backward may read it");
        }
    }
}
