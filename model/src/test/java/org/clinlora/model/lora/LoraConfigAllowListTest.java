package org.clinlora.model.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.clinlora.model.base.Compute;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.llama.TestResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * adapter_config.json is read against PEFT's LoraConfig field by field: a real PEFT file (every field present) loads;
 * an option that changes the computation loads only at its default; an unknown field is refused by name.
 */
class LoraConfigAllowListTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static ObjectNode peftMade() throws Exception {
        return (ObjectNode)
                JSON.readTree(Files.readString(TestResources.path("peft-made/peft_seqcls/adapter_config.json")));
    }

    private static void assertRefused(ObjectNode n, String mention) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraConfig.fromJson(n));
        assertTrue(
                e.getMessage().startsWith("adapter_config.json: ")
                        && e.getMessage().contains(mention),
                e.getMessage());
    }

    @Test
    void everyFieldOfARealPeftFileIsKnownAndItsDefaultsAccepted() throws Exception {
        LoraConfig c = LoraConfig.fromJson(peftMade());
        assertEquals("SEQ_CLS", c.taskType());
        ObjectNode inert = peftMade()
                .put("inference_mode", false)
                .put("revision", "abc")
                .put("peft_version", "0.18.0")
                .put("init_lora_weights", "gaussian")
                .put("megatron_core", "megatron.core")
                .put("qalora_group_size", 32);
        assertEquals(c.r(), LoraConfig.fromJson(inert).r(), "bookkeeping and unused options are inert");
    }

    @Test
    void optionsThatChangeTheComputationAreRefusedByNameUnlessAtTheirDefault() throws Exception {
        ObjectNode bd = peftMade();
        bd.putObject("use_bdlora").put("block_size", 4);
        assertRefused(bd, "use_bdlora");
        ObjectNode arrow = peftMade();
        arrow.putObject("arrow_config").put("top_k", 3);
        assertRefused(arrow, "arrow_config");
        assertRefused(peftMade().put("init_lora_weights", "pissa"), "init_lora_weights");
        assertRefused(peftMade().put("init_lora_weights", "olora"), "init_lora_weights");
        assertRefused(peftMade().put("layers_pattern", "layers"), "layers_pattern");
        assertRefused(peftMade().put("use_dora", true), "use_dora");
        assertRefused(peftMade().put("bias", "lora_only"), "bias");
        assertRefused(peftMade().put("ensure_weight_tying", true), "ensure_weight_tying");
        assertRefused(peftMade().put("lora_bias", true), "lora_bias");
    }

    @Test
    void anUnknownFieldIsRefusedNotIgnored() throws Exception {
        assertRefused(peftMade().put("use_hyper_lora", true), "unknown field 'use_hyper_lora'");
        assertRefused(peftMade().put("some_future_option", 0), "unknown field 'some_future_option'");
    }

    @Test
    void aPickleAdapterIsRefusedWithHowToConvertIt(@TempDir Path dir) throws Exception {
        Path golden = TestResources.path("golden");
        Files.copy(golden.resolve("clinical/adapter_config.json"), dir.resolve("adapter_config.json"));
        Files.write(dir.resolve("adapter_model.bin"), new byte[] {(byte) 0x80, 2}); // never opened
        try (LlamaModel m = LlamaModel.load(golden.resolve("base"), Compute.CPU_FP32)) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> PeftAdapterDir.load(m, "x", dir));
            assertTrue(
                    e.getMessage().contains("never loaded")
                            && e.getMessage().contains("safe_serialization=True")
                            && e.getMessage().contains("adapter_model.safetensors"),
                    e.getMessage());
            assertTrue(m.adapterNames().isEmpty(), "nothing loaded");
        }
    }
}
