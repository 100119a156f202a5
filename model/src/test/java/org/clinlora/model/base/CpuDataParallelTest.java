package org.clinlora.model.base;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TestResources;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.train.AdamW;
import org.clinlora.model.train.Losses;
import org.clinlora.model.train.TrainingLoop;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rows computed as data-parallel parts on the CPU's workers give what the whole batch computed in one thread gives: a
 * scorer's pooled rows with a stack per row, and a training micro-batch's gradients; and parts with dropout repeat bit
 * for bit.
 */
class CpuDataParallelTest {
    static final Path GOLDEN = TestResources.path("golden");
    static final long[] IDS = {1, 20, 30, 40, 1, 21, 31, 41, 1, 22, 32, 42, 1, 23, 33, 43, 1, 24, 34, 0};
    static int workersBefore;

    @BeforeAll
    static void twoWorkers() {
        workersBefore = CpuDataParallel.workers(); // the tests' JVMs default to one (OMP_NUM_THREADS=1)
        CpuDataParallel.setWorkers(2);
    }

    @AfterAll
    static void restore() {
        CpuDataParallel.setWorkers(workersBefore);
    }

    @Test
    void pooledRowsWithAStackPerRowEqualEachRowAlone() throws IOException {
        try (LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32)) {
            PeftAdapterDir.load(m, "clinical", GOLDEN.resolve("clinical"));
            PeftAdapterDir.load(m, "downstream", GOLDEN.resolve("downstream"));
            // clinical on rows 0-3 (a range, cut by any split into parts); downstream on rows 0, 1 and 4 (a mask)
            List<List<String>> stacks = List.of(
                    List.of("clinical", "downstream"),
                    List.of("clinical", "downstream"),
                    List.of("clinical"),
                    List.of("clinical"),
                    List.of("downstream"));
            long[] mask = new long[IDS.length];
            for (int i = 0; i < IDS.length; i++) mask[i] = IDS[i] == 0 ? 0 : 1;
            TokenBatch all = new TokenBatch(5, 4, IDS, mask);
            float[] pooled;
            try (StepContext ctx = m.newStep(false)) {
                pooled = m.pooledHiddenStates(ctx, all, ActiveAdapters.perRow(ctx, stacks))
                        .toFloatArray();
            }
            int d = pooled.length / 5;
            for (int r = 0; r < 5; r++) {
                try (StepContext ctx = m.newStep(false)) {
                    float[] want = m.pooledHiddenStates(ctx, all.rows(r, r + 1), ActiveAdapters.all(stacks.get(r)))
                            .toFloatArray();
                    assertArrayEquals(want, Arrays.copyOfRange(pooled, r * d, (r + 1) * d), 1e-5f, "row " + r);
                }
            }
        }
    }

    @Test
    void aMicroBatchInTwoPartsHasTheGradientOfTheWholeBatch() throws IOException {
        Map<String, float[]> whole = gradients(1, 0f), parts = gradients(2, 0f);
        assertEquals(whole.keySet(), parts.keySet());
        whole.forEach((k, v) -> assertArrayEquals(v, parts.get(k), 1e-5f, k));
    }

    @Test
    void partsWithDropoutRepeatBitForBit() throws IOException {
        Map<String, float[]> first = gradients(2, 0.1f), second = gradients(2, 0.1f);
        first.forEach((k, v) -> assertArrayEquals(v, second.get(k), k));
    }

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

    /** The trainable adapter's gradients after one causal-LM micro-batch of 4 rows computed in {@code n} parts. */
    private static Map<String, float[]> gradients(int n, float dropout) throws IOException {
        try (LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32)) {
            LoraConfig cfg =
                    new LoraConfig("CAUSAL_LM", 4, 8, dropout, List.of("q_proj", "v_proj"), List.of(), false, null);
            LoraAdapter a = LoraAdapter.create(
                    "t",
                    cfg,
                    m.projections(),
                    m.classifierHead(),
                    m.manager(),
                    DataType.FLOAT32,
                    0,
                    m.config().hiddenSize(),
                    m.config().initializerRange(),
                    7);
            m.addAdapter(a);
            // lora_B starts at zero, so lora_A would get no gradient: give B values first, the same in every call.
            SplittableRandom rnd = new SplittableRandom(11);
            JniUtils.setGradMode(false);
            a.trainableParameters().forEach((k, p) -> {
                if (!k.contains("lora_B")) return;
                float[] v = new float[Math.toIntExact(p.size())];
                for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 0.02);
                p.set(v);
            });
            a.setTrainable(true);
            List<String> active = List.of("t");
            TrainingLoop.Settings s = new TrainingLoop.Settings(1e-3, 0, 10, 2, 0.0, AdamW.Settings.DEFAULT, 3);
            try (TrainingLoop loop = new TrainingLoop(m, active, s)) {
                TokenBatch tokens = TokenBatch.unpadded(4, 5, Arrays.copyOf(IDS, 20));
                int[] b = CpuDataParallel.boundaries(4, n);
                List<TrainingLoop.Part> parts = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    TokenBatch rows = tokens.rows(b[i], b[i + 1]);
                    parts.add(new TrainingLoop.Part(
                            rows, (ctx, h) -> Losses.causalLm(ctx, m, h, rows), (double) rows.batchSize() / 4));
                }
                loop.microStep(parts, active); // the first of two accumulated micro-steps: no optimizer step yet
                Map<String, float[]> out = new LinkedHashMap<>();
                loop.parameters().forEach((k, p) -> {
                    NDArray g = p.getGradient();
                    out.put(k, g.toFloatArray());
                    g.close();
                });
                return out;
            }
        }
    }
}
