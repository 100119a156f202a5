package org.clinlora.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TestResources;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.train.PaperDefaults;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeftAdapterDirTest {
    static final Path GOLDEN = TestResources.path("golden");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    LlamaModel model;

    @BeforeEach
    void load() throws IOException {
        model = LlamaModel.load(GOLDEN.resolve("base"), Compute.CPU_FP32);
    }

    @AfterEach
    void close() {
        model.close();
    }

    @Test
    void aSavedAdapterHasPeftsFilesKeysAndConfigAndLoadsBackIdentically() throws IOException {
        LoraAdapter original = PeftAdapterDir.load(model, "downstream", GOLDEN.resolve("downstream"));
        Path out = dir.resolve("copy");
        PeftAdapterDir.save(original, out, "clinlora/tiny-base");

        try (var files = Files.list(out)) {
            assertEquals(
                    List.of("adapter_config.json", "adapter_model.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (SafeTensorsReader mine = SafeTensors.open(out.resolve("adapter_model.safetensors"));
                SafeTensorsReader peft = SafeTensors.open(GOLDEN.resolve("downstream/adapter_model.safetensors"))) {
            assertEquals(peft.entries().keySet(), mine.entries().keySet(), "same keys as PEFT writes");
            for (String k : peft.entries().keySet()) assertArrayEquals(peft.floats(k), mine.floats(k), k);
        }
        JsonNode cfg = JSON.readTree(out.resolve("adapter_config.json").toFile());
        JsonNode ref =
                JSON.readTree(GOLDEN.resolve("downstream/adapter_config.json").toFile());
        for (String field : List.of(
                "peft_type",
                "task_type",
                "r",
                "lora_alpha",
                "lora_dropout",
                "target_modules",
                "modules_to_save",
                "bias",
                "fan_in_fan_out")) {
            assertEquals(ref.get(field), cfg.get(field), field);
        }
        assertEquals("clinlora/tiny-base", cfg.get("base_model_name_or_path").asText());

        LoraAdapter reloaded = PeftAdapterDir.load(model, "again", out);
        assertEquals(original.config().withBaseModel("clinlora/tiny-base"), reloaded.config());
    }

    @Test
    void aNewAdapterStartsAsTheIdentityWithKaimingUniformA() {
        LoraConfig cfg = PaperDefaults.downstreamLora();
        LoraAdapter a = LoraAdapter.create(
                "new",
                cfg,
                model.projections(),
                model.classifierHead(),
                model.manager(),
                model.compute().dtype(),
                3,
                model.config().hiddenSize(),
                0.02,
                42);
        model.addAdapter(a);
        TokenBatch batch = TokenBatch.unpadded(1, 5, new long[] {1, 5, 9, 33, 200});
        float[] base, withNew;
        try (StepContext ctx = model.newStep(false)) {
            base = model.lmLogits(ctx, model.hiddenStates(ctx, batch, List.of()))
                    .toFloatArray();
            withNew = model.lmLogits(ctx, model.hiddenStates(ctx, batch, List.of("new")))
                    .toFloatArray();
        }
        assertArrayEquals(base, withNew, "lora_B starts at zero, so a new adapter changes nothing");
        double bound = 1 / Math.sqrt(model.config().hiddenSize());
        for (Map.Entry<String, NDArray> p : a.parameters().entrySet()) {
            float[] v = p.getValue().toFloatArray();
            if (p.getKey().endsWith("lora_A.weight")) {
                for (float x : v) assertTrue(Math.abs(x) <= bound, p.getKey());
                assertTrue(Arrays.stream(toDouble(v)).map(Math::abs).max().orElse(0) > bound / 2);
            } else if (p.getKey().endsWith("lora_B.weight")) {
                for (float x : v) assertEquals(0f, x);
            }
        }
        assertEquals(3, a.numLabels());
        assertEquals(0.5, cfg.scaling(), "the paper's downstream LoRA: alpha 4 / r 8");
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    @Test
    void adaptersThatDisagreeWithTheirConfigOrTheBaseAreRefusedAndLeaveNothingLoaded() throws IOException {
        Path bad = dir.resolve("bad");
        Files.createDirectories(bad);
        Files.copy(GOLDEN.resolve("downstream/adapter_model.safetensors"), bad.resolve("adapter_model.safetensors"));
        String cfg = Files.readString(GOLDEN.resolve("downstream/adapter_config.json"));
        Files.writeString(bad.resolve("adapter_config.json"), cfg.replace("\"r\": 2", "\"r\": 4"));
        var e = assertThrows(IllegalArgumentException.class, () -> PeftAdapterDir.load(model, "bad", bad));
        assertTrue(e.getMessage().contains("lora_A.weight has shape [2, 64], expected [4, 64]"), e.getMessage());
        assertFalse(model.adapterNames().contains("bad"));

        Files.writeString(bad.resolve("adapter_config.json"), cfg.replace("\"q_proj\",", ""));
        e = assertThrows(IllegalArgumentException.class, () -> PeftAdapterDir.load(model, "bad", bad));
        assertTrue(e.getMessage().contains("does not explain"), e.getMessage());

        Files.writeString(
                bad.resolve("adapter_config.json"),
                cfg.replace("\"bias\": \"none\"", "\"use_dora\": true, \"bias\": \"none\""));
        e = assertThrows(IllegalArgumentException.class, () -> PeftAdapterDir.load(model, "bad", bad));
        assertTrue(e.getMessage().contains("use_dora"), e.getMessage());

        Files.delete(bad.resolve("adapter_model.safetensors"));
        Files.write(bad.resolve("adapter_model.bin"), new byte[] {(byte) 0x80, 2});
        Files.writeString(bad.resolve("adapter_config.json"), cfg);
        e = assertThrows(IllegalArgumentException.class, () -> PeftAdapterDir.load(model, "bad", bad));
        assertTrue(e.getMessage().contains("pickle"), e.getMessage());
        assertTrue(model.adapterNames().isEmpty());
    }

    @Test
    void savingNeverOverwritesAnAdapterAndLeavesNoTemporaryFiles() throws IOException {
        LoraAdapter a = PeftAdapterDir.load(model, "clinical", GOLDEN.resolve("clinical"));
        Path out = dir.resolve("clinical");
        PeftAdapterDir.save(a, out, "base");
        assertThrows(IllegalArgumentException.class, () -> PeftAdapterDir.save(a, out, "base"));
        try (var files = Files.list(dir)) {
            assertEquals(
                    List.of("clinical"),
                    files.map(p -> p.getFileName().toString()).toList());
        }
    }
}
