package org.clinlora.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    @Test
    void writtenTensorsReadBackByNameWithTheirDtypesAndShapes() throws IOException {
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        t.put("b.weight", SafeTensors.Tensor.f32(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6.5f}));
        t.put("a.ids", SafeTensors.Tensor.i64(new long[] {3}, new long[] {7, -1, 1L << 40}));
        t.put("lengths", SafeTensors.Tensor.i32(new long[] {2}, new int[] {12, 9}));
        Path f = dir.resolve("x.safetensors");
        SafeTensors.write(f, t, Map.of("note", "synthetic"));
        byte[] bytes = Files.readAllBytes(f);
        long headerLen =
                ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8, "the header is padded to 8 bytes like the reference writer");
        try (SafeTensorsReader r = SafeTensors.open(f)) {
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6.5f}, r.floats("b.weight"));
            assertArrayEquals(new long[] {2, 3}, r.entry("b.weight").shape());
            assertArrayEquals(new long[] {7, -1, 1L << 40}, r.longs("a.ids"));
            assertArrayEquals(new long[] {12, 9}, r.longs("lengths"));
            assertEquals("pt", r.metadata().get("format"));
            assertEquals("synthetic", r.metadata().get("note"));
        }
    }

    @Test
    void halfAndBfloat16CheckpointsAreConvertedToFloat32() throws IOException {
        // 1.5, -2.0, 65504 (max half), 2^-24 (smallest subnormal half)
        short[] f16 = {0x3e00, (short) 0xc000, 0x7bff, 0x0001};
        short[] bf16 = {0x3fc0, (short) 0xc000, 0x4780}; // 1.5, -2.0, 65536
        Path f = dir.resolve("half.safetensors");
        writeRaw(
                f,
                "{\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[8,14]}}",
                f16,
                bf16);
        try (SafeTensorsReader r = SafeTensors.open(f)) {
            assertArrayEquals(new float[] {1.5f, -2f, 65504f, 0x1p-24f}, r.floats("h"));
            assertArrayEquals(new float[] {1.5f, -2f, 65536f}, r.floats("b"));
        }
    }

    @Test
    void aHeaderThatClaimsMoreThanTheFileIsRefusedBeforeAnyAllocation() throws IOException {
        Path f = dir.resolve("huge.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(1L << 40)
                .putLong(0);
        Files.write(f, b.array());
        var e = assertThrows(SafeTensors.SafeTensorsException.class, () -> SafeTensors.open(f));
        assertTrue(e.getMessage().contains("out of bounds"), e.getMessage());
    }

    @Test
    void offsetsOutsideTheDataOrDisagreeingWithTheShapeAreRefused() throws IOException {
        Path f = dir.resolve("bad.safetensors");
        writeRaw(
                f,
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,64]}}",
                new short[] {1, 2},
                new short[0]);
        assertThrows(SafeTensors.SafeTensorsException.class, () -> SafeTensors.open(f));
        writeRaw(
                f,
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,4]}}",
                new short[] {1, 2},
                new short[0]);
        var e = assertThrows(SafeTensors.SafeTensorsException.class, () -> SafeTensors.open(f));
        assertTrue(e.getMessage().contains("need 12"), e.getMessage());
        writeRaw(
                f, "{\"x\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,4]}}", new short[] {1, 2}, new short[0]);
        assertThrows(SafeTensors.SafeTensorsException.class, () -> SafeTensors.open(f));
    }

    private static void writeRaw(Path f, String header, short[] a, short[] b) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf =
                ByteBuffer.allocate(8 + h.length + 2 * (a.length + b.length)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        for (short s : a) buf.putShort(s);
        for (short s : b) buf.putShort(s);
        Files.write(f, buf.array());
    }
}
