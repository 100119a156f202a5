package org.clinlora.model.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TestResources;
import org.junit.jupiter.api.Test;

/** A batch whose rows apply different adapter stacks gives each row what a batch of its own stack gives it. */
class ActiveAdaptersTest {
    static final Path GOLDEN = TestResources.path("golden");

    @Test
    void perRowStacksEqualSeparateForwardsForRangesAndMasks() throws IOException {
        try (LlamaModel m = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32)) {
            PeftAdapterDir.load(m, "clinical", GOLDEN.resolve("clinical"));
            PeftAdapterDir.load(m, "downstream", GOLDEN.resolve("downstream"));
            long[] ids = {1, 20, 30, 40, 1, 21, 31, 41, 1, 22, 32, 42, 1, 23, 33, 43, 1, 24, 34, 44};
            // clinical: rows 0-3 (a range); downstream: rows 0, 1 and 4 (not contiguous: a mask); row 3: no adapter
            // from the second
            List<List<String>> stacks = List.of(
                    List.of("clinical", "downstream"),
                    List.of("clinical", "downstream"),
                    List.of("clinical"),
                    List.of("clinical"),
                    List.of("downstream"));
            TokenBatch all = TokenBatch.unpadded(5, 4, ids);
            float[] mixed;
            try (StepContext ctx = m.newStep(false)) {
                mixed = m.hiddenStates(ctx, all, ActiveAdapters.perRow(ctx, stacks))
                        .toFloatArray();
            }
            int rowSize = mixed.length / 5;
            for (int r = 0; r < 5; r++) {
                long[] one = Arrays.copyOfRange(ids, r * 4, r * 4 + 4);
                try (StepContext ctx = m.newStep(false)) {
                    float[] want = m.hiddenStates(ctx, TokenBatch.unpadded(1, 4, one), stacks.get(r))
                            .toFloatArray();
                    float[] got = Arrays.copyOfRange(mixed, r * rowSize, (r + 1) * rowSize);
                    for (int i = 0; i < want.length; i++) {
                        if (Math.abs(want[i] - got[i]) > 1e-5f) assertArrayEquals(want, got, 1e-5f, "row " + r);
                    }
                }
            }
        }
    }
}
