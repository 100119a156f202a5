package org.clinlora.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TestResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfModelDirTest {
    static final Path BASE = TestResources.path("golden/base");

    @TempDir
    Path dir;

    @Test
    void aShardedCopyOfACheckpointGivesTheSameLogits() throws IOException {
        LlamaConfig config = HfModelDir.readConfig(BASE);
        var tensors = new LinkedHashMap<String, SafeTensors.Tensor>();
        try (Weights w = HfModelDir.openWeights(BASE)) {
            for (String n : w.names())
                tensors.put(n, SafeTensors.Tensor.f32(w.entry(n).shape(), w.floats(n)));
        }
        Path sharded = dir.resolve("sharded");
        HfModelDir.write(sharded, config, tensors, 100_000);
        assertTrue(Files.isRegularFile(sharded.resolve(HfModelDir.INDEX)));
        try (var files = Files.list(sharded)) {
            assertTrue(files.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors"))
                            .count()
                    > 1);
        }
        TokenBatch batch = TokenBatch.unpadded(1, 6, new long[] {1, 17, 42, 99, 3, 250});
        assertArrayEquals(
                logits(BASE, batch), logits(sharded, batch), "sharded and single-file checkpoints are the same model");
    }

    private static float[] logits(Path model, TokenBatch batch) throws IOException {
        try (LlamaModel m = LlamaModel.load(model, Compute.CPU_FP32);
                StepContext ctx = m.newStep(false)) {
            return m.lmLogits(ctx, m.hiddenStates(ctx, batch, List.of())).toFloatArray();
        }
    }

    @Test
    void pickleCheckpointsAreRefusedNotRead() throws IOException {
        Files.copy(BASE.resolve("config.json"), dir.resolve("config.json"));
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        var e = assertThrows(IllegalArgumentException.class, () -> HfModelDir.openWeights(dir));
        assertTrue(e.getMessage().contains("pickle"), e.getMessage());
    }

    @Test
    void aWeightWhoseShapeDisagreesWithConfigIsNamedInTheError() throws IOException {
        Files.copy(BASE.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        String cfg = Files.readString(BASE.resolve("config.json"))
                .replace("\"intermediate_size\": 172", "\"intermediate_size\": 170");
        Files.writeString(dir.resolve("config.json"), cfg);
        var e = assertThrows(IllegalArgumentException.class, () -> LlamaModel.load(dir, Compute.CPU_FP32));
        assertTrue(e.getMessage().contains("mlp.gate_proj.weight"), e.getMessage());
        assertEquals(-1, e.getMessage().indexOf("Exception"));
    }
}
