package org.clinlora.model.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.fuzz.Refusals;
import org.clinlora.model.llama.TestResources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile Hugging Face {@code config.json} files, read as the model library and registry-svc read them (whichever
 * architecture {@code model_type} names), then checked against a real checkpoint's tensor shapes as before a load or a
 * push is accepted. A config either reads or is refused with an IllegalArgumentException saying why; the sizes it
 * declares (layers, heads, vocabulary) must never be allocated or iterated before they are checked.
 */
class ModelConfigFuzzTest {
    private static Path dir;
    private static final List<Map<String, long[]>> CHECKPOINTS =
            List.of(shapes("golden/base/model.safetensors"), shapes("bert-reference/base/model.safetensors"));

    @BeforeAll
    static void scratch() throws IOException {
        dir = Files.createTempDirectory("fuzz-config");
    }

    @AfterAll
    static void cleanUp() throws IOException {
        PeftAdapterDir.deleteTree(dir);
    }

    static Stream<byte[]> seeds() throws IOException {
        String llama = Files.readString(TestResources.path("golden/base/config.json"));
        String bert = Files.readString(TestResources.path("bert-reference/base/config.json"));
        // The largest layer count an int holds: a size the config declares, the edge a mutated number reaches last.
        String layers = "\"num_hidden_layers\": 2147483647";
        return Stream.of(
                        llama,
                        bert,
                        Files.readString(TestResources.path("peft-made/base/config.json")),
                        llama.replaceFirst("\"num_hidden_layers\": *\\d+", layers),
                        bert.replaceFirst("\"num_hidden_layers\": *\\d+", layers))
                .map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "5s")
    void configJson(byte[] data) throws IOException {
        Files.write(dir.resolve(HfModelDir.CONFIG), data);
        BaseModelConfig config;
        try {
            config = BaseModelConfig.read(dir.resolve(HfModelDir.CONFIG));
        } catch (IllegalArgumentException e) {
            Refusals.requireClear(e);
            return;
        }
        config.parameterCount();
        for (Map<String, long[]> checkpoint : CHECKPOINTS) {
            try {
                config.checkCheckpoint(checkpoint);
            } catch (IllegalArgumentException e) {
                Refusals.requireClear(e);
            }
        }
    }

    private static Map<String, long[]> shapes(String resource) {
        try (SafeTensorsReader r = SafeTensors.open(TestResources.path(resource))) {
            Map<String, long[]> out = new LinkedHashMap<>();
            r.entries().forEach((name, e) -> out.put(name, e.shape()));
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
