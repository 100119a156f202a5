package org.clinlora.model.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.CpuDataParallel;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TestResources;
import org.junit.jupiter.api.Test;

/** A batch whose rows apply different adapter stacks gives each row what a batch of its own stack gives it. */
class ActiveAdaptersTest {
    static final Path GOLDEN = TestResources.path("golden");
    static final long[] IDS = {1, 20, 30, 40, 1, 21, 31, 41, 1, 22, 32, 42, 1, 23, 33, 43, 1, 24, 34, 44};
    // clinical: rows 0-3 (a range); downstream: rows 0, 1 and 4 (not contiguous: a mask); rows 2 and 3: no adapter
    // from the second
    static final List<List<String>> STACKS = List.of(
            List.of("clinical", "downstream"),
            List.of("clinical", "downstream"),
            List.of("clinical"),
            List.of("clinical"),
            List.of("downstream"));

    static LlamaModel withBothAdapters() throws IOException {
        LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32);
        PeftAdapterDir.load(m, "clinical", GOLDEN.resolve("clinical"));
        PeftAdapterDir.load(m, "downstream", GOLDEN.resolve("downstream"));
        return m;
    }

    @Test
    void perRowStacksEqualSeparateForwardsForRangesAndMasks() throws IOException {
        try (LlamaModel m = withBothAdapters()) {
            TokenBatch all = TokenBatch.unpadded(5, 4, IDS);
            float[] mixed;
            try (StepContext ctx = m.newStep(false)) {
                mixed = m.hiddenStates(ctx, all, ActiveAdapters.perRow(ctx, STACKS))
                        .toFloatArray();
            }
            int rowSize = mixed.length / 5;
            for (int r = 0; r < 5; r++) {
                long[] one = Arrays.copyOfRange(IDS, r * 4, r * 4 + 4);
                try (StepContext ctx = m.newStep(false)) {
                    float[] want = m.hiddenStates(ctx, TokenBatch.unpadded(1, 4, one), STACKS.get(r))
                            .toFloatArray();
                    float[] got = Arrays.copyOfRange(mixed, r * rowSize, (r + 1) * rowSize);
                    for (int i = 0; i < want.length; i++) {
                        if (Math.abs(want[i] - got[i]) > 1e-5f) assertArrayEquals(want, got, 1e-5f, "row " + r);
                    }
                }
            }
        }
    }

    /**
     * The same for the pooled rows a scorer reads, split into data-parallel parts ({@link CpuDataParallel}): each part
     * gets its slice of the stacks (the range cut by the split, the mask sliced).
     */
    @Test
    void pooledRowsInDataParallelPartsEqualEachRowAlone() throws IOException {
        int before = CpuDataParallel.workers(); // the tests' JVMs default to one (OMP_NUM_THREADS=1)
        CpuDataParallel.setWorkers(2);
        try (LlamaModel m = withBothAdapters()) {
            TokenBatch all = TokenBatch.unpadded(5, 4, IDS);
            float[] pooled;
            try (StepContext ctx = m.newStep(false)) {
                pooled = m.pooledHiddenStates(ctx, all, ActiveAdapters.perRow(ctx, STACKS))
                        .toFloatArray();
            }
            int d = pooled.length / 5;
            for (int r = 0; r < 5; r++) {
                try (StepContext ctx = m.newStep(false)) {
                    float[] want = m.pooledHiddenStates(ctx, all.rows(r, r + 1), ActiveAdapters.all(STACKS.get(r)))
                            .toFloatArray();
                    assertArrayEquals(want, Arrays.copyOfRange(pooled, r * d, (r + 1) * d), 1e-5f, "row " + r);
                }
            }
        } finally {
            CpuDataParallel.setWorkers(before);
        }
    }
}
