package org.clinlora.model.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.llama.TestResources;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sizes a file declares, which the fuzz tests (SafeTensorsFuzzTest, ModelConfigFuzzTest) found trusted: each input here
 * failed before with an ArithmeticException or ran the JVM out of memory, and is now refused with a reason.
 */
class DeclaredSizesTest {
    @TempDir
    Path dir;

    /**
     * Before: ArithmeticException "long overflow" (the element count), then, with the product wrapping to 0 bytes,
     * accepted, and "integer overflow" when read.
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"t\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}",
                "{\"t\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}",
            })
    void aShapeTooLargeForAnyFileIsRefused(String header) throws IOException {
        byte[] file = SafeTensorsFuzzTest.header(header);
        Path f = dir.resolve("model.safetensors");
        Files.write(f, file);
        SafeTensors.SafeTensorsException opened =
                assertThrows(SafeTensors.SafeTensorsException.class, () -> SafeTensors.open(f));
        assertTrue(opened.getMessage().contains("shape too large"), opened.getMessage());
        assertThrows(
                SafeTensors.SafeTensorsException.class,
                () -> SafeTensors.readHeader(new ByteArrayInputStream(file), file.length, "model.safetensors"));
    }

    /**
     * Before: the check listed every tensor 2^31 - 1 layers imply (6.6 GB of heap after 11 minutes, then out of
     * memory), as registry-svc does for a pushed model's config.json.
     */
    @ParameterizedTest
    @ValueSource(strings = {"golden/base", "bert-reference/base"})
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void twoBillionLayersAreWeighedAgainstTheCheckpointFirst(String model) throws IOException {
        String json = Files.readString(TestResources.path(model + "/config.json"))
                .replaceFirst("\"num_hidden_layers\": *\\d+", "\"num_hidden_layers\": 2147483647");
        Path config = dir.resolve("config.json");
        Files.writeString(config, json);
        BaseModelConfig c = BaseModelConfig.read(config);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> c.checkCheckpoint(shapes(model)));
        assertTrue(e.getMessage().contains("2147483647 layers need at least"), e.getMessage());
    }

    private static Map<String, long[]> shapes(String model) throws IOException {
        Map<String, long[]> out = new LinkedHashMap<>();
        try (SafeTensorsReader r = SafeTensors.open(TestResources.path(model + "/model.safetensors"))) {
            r.entries().forEach((name, e) -> out.put(name, e.shape()));
        }
        return out;
    }
}
