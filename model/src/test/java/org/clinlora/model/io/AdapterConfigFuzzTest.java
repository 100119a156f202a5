package org.clinlora.model.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.fuzz.Refusals;
import org.clinlora.model.llama.TestResources;
import org.clinlora.model.lora.LoraConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile PEFT {@code adapter_config.json} files, read as an adapter directory is read before its weights, then asked
 * for the tensor shapes it implies on a LLaMA and a BERT base (what an adapter's safetensors is checked against). A
 * config either reads or is refused with an IllegalArgumentException naming the field.
 */
class AdapterConfigFuzzTest {
    private static Path dir;
    private static List<BaseModelConfig> bases;

    @BeforeAll
    static void scratch() throws IOException {
        dir = Files.createTempDirectory("fuzz-adapter");
        bases = List.of(
                BaseModelConfig.read(TestResources.path("golden/base/config.json")),
                BaseModelConfig.read(TestResources.path("bert-reference/base/config.json")));
    }

    @AfterAll
    static void cleanUp() throws IOException {
        PeftAdapterDir.deleteTree(dir);
    }

    static Stream<byte[]> seeds() throws IOException {
        return Stream.of(
                Files.readAllBytes(TestResources.path("golden/clinical/adapter_config.json")),
                Files.readAllBytes(TestResources.path("golden/downstream/adapter_config.json")),
                Files.readAllBytes(TestResources.path("bert-reference/adapter/adapter_config.json")),
                Files.readAllBytes(TestResources.path("peft-made/peft_causal/adapter_config.json")));
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "5s")
    void adapterConfigJson(byte[] data) throws IOException {
        Files.write(dir.resolve(PeftAdapterDir.CONFIG), data);
        LoraConfig config;
        try {
            config = PeftAdapterDir.readConfig(dir);
        } catch (IllegalArgumentException e) {
            Refusals.requireClear(e);
            return;
        }
        config.scaling();
        for (BaseModelConfig base : bases) config.expectedShapes(base);
    }
}
