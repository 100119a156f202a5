package org.clinlora.model.base;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * How parts run: every part finishes before the call returns, whatever fails or interrupts, and a batch's rows split as
 * whole rows. (That parts compute what the whole batch does: ActiveAdaptersTest for the scorer's pooled rows,
 * AccumulationAndScalingTest and TrainerTest for training.)
 */
class CpuDataParallelTest {

    @Test
    void aFailedPartFailsTheCallAfterEveryPartHasFinished() {
        List<Callable<Integer>> tasks = new ArrayList<>();
        tasks.add(() -> 1);
        tasks.add(() -> {
            throw new IllegalArgumentException("part 2 refused");
        });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuDataParallel.run(tasks));
        assertEquals("part 2 refused", e.getMessage());
        assertArrayEquals(new int[] {0, 2, 5}, CpuDataParallel.boundaries(5, 2));
    }

    @Test
    void anInterruptedCallerReturnsOnlyOnceEveryPartHasFinished() throws InterruptedException {
        AtomicBoolean slowFinished = new AtomicBoolean();
        AtomicBoolean finishedBeforeReturn = new AtomicBoolean();
        AtomicBoolean interruptKept = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        Thread caller = new Thread(() -> {
            List<Callable<Integer>> tasks = List.of(() -> 1, () -> {
                started.countDown();
                Thread.sleep(500);
                slowFinished.set(true);
                return 2;
            });
            assertEquals(List.of(1, 2), CpuDataParallel.run(tasks));
            finishedBeforeReturn.set(slowFinished.get());
            interruptKept.set(Thread.currentThread().isInterrupted());
        });
        caller.start();
        started.await();
        caller.interrupt();
        caller.join();
        assertTrue(finishedBeforeReturn.get(), "run returned while a part was still running");
        assertTrue(interruptKept.get(), "the caller's interrupt is re-asserted");
    }

    @Test
    void rowsOfABatchKeepTheirIdsMasksAndLength() {
        long[] mask = {1, 1, 1, 1, 1, 1, 0, 0};
        TokenBatch b = new TokenBatch(2, 4, new long[] {1, 2, 3, 4, 1, 5, 0, 0}, mask);
        TokenBatch second = b.rows(1, 2);
        assertArrayEquals(new long[] {1, 5, 0, 0}, second.inputIds());
        assertArrayEquals(new long[] {1, 1, 0, 0}, second.attentionMask());
        assertEquals(4, second.seqLen());
        assertThrows(IllegalArgumentException.class, () -> b.rows(1, 3));
        assertThrows(IllegalArgumentException.class, () -> b.rows(1, 1));
    }
}
