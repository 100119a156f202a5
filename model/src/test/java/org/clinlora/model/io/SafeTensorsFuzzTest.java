package org.clinlora.model.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.clinlora.model.llama.TestResources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile safetensors files: the header length, the JSON header and every tensor's dtype, shape and data_offsets as a
 * fuzzer makes them. Opening the file (the model library's memory map), reading each tensor it declares and reading the
 * header from a stream (registry-svc's check of a pushed model) either work or fail with a
 * {@link SafeTensors.SafeTensorsException}; anything else (an ArithmeticException from a shape, an allocation of a
 * declared size, a hang) is a finding.
 */
class SafeTensorsFuzzTest {
    private static Path file;

    @BeforeAll
    static void scratch() throws IOException {
        file = Files.createTempFile("fuzz", ".safetensors");
    }

    @AfterAll
    static void cleanUp() throws IOException {
        Files.deleteIfExists(file);
    }

    /** Real adapters as seeds, and a small file of every dtype the reader knows. */
    static Stream<byte[]> seeds() throws IOException {
        Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
        for (SafeTensors.Dtype d : SafeTensors.Dtype.values())
            tensors.put("t." + d, new SafeTensors.Tensor(d, new long[] {2}, ByteBuffer.allocate(2 * d.bytes)));
        Path every = Files.createTempFile("seed", ".safetensors");
        SafeTensors.write(every, tensors, Map.of("format", "pt"));
        byte[] everyDtype = Files.readAllBytes(every);
        Files.delete(every);
        return Stream.of(
                everyDtype,
                // shapes whose element or byte count overflows a long: the edges a mutated number reaches last
                header("{\"t\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}"),
                header("{\"t\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}"),
                Files.readAllBytes(TestResources.path("golden/downstream/adapter_model.safetensors")),
                Files.readAllBytes(TestResources.path("bert-reference/adapter/adapter_model.safetensors")));
    }

    /** A file of {@code json} as its header and no data. */
    static byte[] header(String json) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length)
                .put(h)
                .array();
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "5s")
    void safetensorsFile(byte[] data) throws IOException {
        Files.write(file, data);
        try (SafeTensorsReader r = SafeTensors.open(file)) {
            for (SafeTensors.Entry e : r.entries().values()) readValues(r, e);
        } catch (SafeTensors.SafeTensorsException expected) {
            // a clear refusal naming the file
        }
        try {
            SafeTensors.readHeader(new ByteArrayInputStream(data), data.length, "fuzz.safetensors");
        } catch (SafeTensors.SafeTensorsException expected) {
            // the same refusal from the registry's header-only read
        }
    }

    private static void readValues(SafeTensorsReader r, SafeTensors.Entry e) {
        switch (e.dtype()) {
            case F32, F16, BF16, F64 -> Buffers.release(r.f32Bytes(e.name()));
            default -> r.longs(e.name());
        }
    }
}
