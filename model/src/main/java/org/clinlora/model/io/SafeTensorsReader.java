package org.clinlora.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** A memory-mapped safetensors file; tensors are looked up by name. */
public final class SafeTensorsReader implements Closeable {
    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, SafeTensors.Entry> entries;
    private final Map<String, String> metadata;

    SafeTensorsReader(Path path) throws IOException {
        this.path = path;
        this.channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = channel.size();
            if (size < 8) throw bad("file is shorter than the 8-byte header length");
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(len, 0);
            long headerLen = len.flip().getLong();
            if (headerLen <= 1 || headerLen > SafeTensors.MAX_HEADER_BYTES || headerLen > size - 8) {
                throw bad("header length " + headerLen + " is out of bounds for a file of " + size + " bytes");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(header, 8);
            this.dataStart = 8 + headerLen;
            Map<String, String> meta = new LinkedHashMap<>();
            this.entries =
                    Collections.unmodifiableMap(parseHeader(header.array(), size - dataStart, meta, path.toString()));
            this.metadata = Collections.unmodifiableMap(meta);
        } catch (RuntimeException | IOException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * The tensors a safetensors header declares, each checked against a data section of {@code dataLen} bytes;
     * {@code __metadata__} goes into {@code meta}. {@code where} names the file in errors.
     */
    static Map<String, SafeTensors.Entry> parseHeader(
            byte[] header, long dataLen, Map<String, String> meta, String where) {
        JsonNode root;
        try {
            root = SafeTensors.JSON.readTree(new String(header, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new SafeTensors.SafeTensorsException(where + ": header is not valid JSON");
        }
        if (root == null || !root.isObject())
            throw new SafeTensors.SafeTensorsException(where + ": header is not a JSON object");
        Map<String, SafeTensors.Entry> parsed = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals("__metadata__")) {
                f.getValue()
                        .fields()
                        .forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            parsed.put(f.getKey(), parseEntry(f.getKey(), f.getValue(), dataLen, where));
        }
        return parsed;
    }

    private static SafeTensors.Entry parseEntry(String name, JsonNode node, long dataLen, String where) {
        Function<String, SafeTensors.SafeTensorsException> bad =
                why -> new SafeTensors.SafeTensorsException(where + ": " + why);
        JsonNode dt = node.get("dtype"), sh = node.get("shape"), off = node.get("data_offsets");
        if (dt == null || sh == null || off == null || !sh.isArray() || !off.isArray() || off.size() != 2) {
            throw bad.apply("tensor '" + name + "' lacks dtype, shape or data_offsets");
        }
        SafeTensors.Dtype dtype = SafeTensors.Dtype.parse(dt.asText(), name);
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!sh.get(i).canConvertToLong() || sh.get(i).asLong() < 0)
                throw bad.apply("tensor '" + name + "' has a bad shape");
            shape[i] = sh.get(i).asLong();
        }
        long bytes = byteSize(shape, dtype);
        if (bytes < 0) throw bad.apply("tensor '" + name + "' has a shape too large for any file");
        long begin = off.get(0).asLong(), end = off.get(1).asLong();
        if (begin < 0 || end < begin || end > dataLen) {
            throw bad.apply("tensor '" + name + "' has data_offsets [" + begin + ", " + end
                    + "] outside the data section of " + dataLen + " bytes");
        }
        if (end - begin != bytes) {
            throw bad.apply(
                    "tensor '" + name + "' holds " + (end - begin) + " bytes but its shape and dtype need " + bytes);
        }
        return new SafeTensors.Entry(name, dtype, shape, begin, end);
    }

    /**
     * The bytes a tensor of {@code shape} needs, or -1 when that is beyond a long: a declared size is computed exactly
     * (a wrapped product could match a small data section) and refused, never thrown as an ArithmeticException.
     */
    private static long byteSize(long[] shape, SafeTensors.Dtype dtype) {
        for (long d : shape) if (d == 0) return 0;
        long bytes = dtype.bytes;
        try {
            for (long d : shape) bytes = Math.multiplyExact(bytes, d);
        } catch (ArithmeticException e) {
            return -1;
        }
        return bytes;
    }

    private void readFully(ByteBuffer dst, long pos) throws IOException {
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) throw bad("unexpected end of file");
            pos += n;
        }
    }

    private SafeTensors.SafeTensorsException bad(String why) {
        return new SafeTensors.SafeTensorsException(path + ": " + why);
    }

    public Map<String, SafeTensors.Entry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    public SafeTensors.Entry entry(String name) {
        SafeTensors.Entry e = entries.get(name);
        if (e == null) throw bad("has no tensor '" + name + "'");
        return e;
    }

    /** The tensor's raw little-endian bytes, memory-mapped (no heap copy). */
    public ByteBuffer raw(String name) {
        SafeTensors.Entry e = entry(name);
        long len = e.end() - e.begin();
        if (len > Integer.MAX_VALUE) throw bad("tensor '" + name + "' is larger than 2 GiB; split it across shards");
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), len)
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException ex) {
            throw new SafeTensors.SafeTensorsException(path + ": cannot map tensor '" + name + "': " + ex.getMessage());
        }
    }

    /**
     * The tensor as little-endian F32 bytes in a direct buffer: the memory map itself for F32, a converted off-heap
     * copy for F16/BF16/F64 (DJL 0.36 aborts the JVM on BF16 arrays, so we never hand it BF16).
     */
    public ByteBuffer f32Bytes(String name) {
        SafeTensors.Entry e = entry(name);
        ByteBuffer src = raw(name);
        if (e.dtype() == SafeTensors.Dtype.F32) return src;
        int n = Math.toIntExact(e.numel());
        if (n > Integer.MAX_VALUE / 4) throw bad("tensor '" + name + "' is larger than 2 GiB as F32");
        ByteBuffer dst = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        switch (e.dtype()) {
            case F16 -> {
                for (int i = 0; i < n; i++) dst.putFloat(Half.f16ToF32(src.getShort()));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst.putFloat(Float.intBitsToFloat((src.getShort() & 0xffff) << 16));
            }
            case F64 -> {
                for (int i = 0; i < n; i++) dst.putFloat((float) src.getDouble());
            }
            default -> throw bad("tensor '" + name + "' is " + e.dtype() + ", not a floating-point tensor");
        }
        return dst.flip();
    }

    /**
     * The tensor as a native array of {@code dtype} owned by {@code manager}: the mapped bytes are copied once into
     * libtorch memory (no Java-heap copy), converted there when the stored dtype differs, and the mapping is released
     * at once, so no second copy of the tensor stays resident. BF16 and F64 go through a transient F32 buffer because
     * DJL cannot hold BF16 ({@link org.clinlora.model.base.Compute#BF16_REFUSED}).
     */
    public NDArray toNDArray(NDManager manager, String name, DataType dtype) {
        SafeTensors.Entry e = entry(name);
        ByteBuffer bytes;
        DataType stored;
        switch (e.dtype()) {
            case F32 -> {
                bytes = raw(name);
                stored = DataType.FLOAT32;
            }
            case F16 -> {
                bytes = raw(name);
                stored = DataType.FLOAT16;
            }
            case BF16, F64 -> {
                bytes = f32Bytes(name);
                stored = DataType.FLOAT32;
            }
            default -> throw bad("tensor '" + name + "' is " + e.dtype() + ", not a floating-point tensor");
        }
        try (NDArray alias = manager.create(bytes, new Shape(e.shape()), stored)) {
            // create() over a direct buffer aliases it: duplicate or convert into memory libtorch owns before
            // unmapping.
            return stored == dtype ? alias.duplicate() : alias.toType(dtype, true);
        } finally {
            Buffers.release(bytes);
        }
    }

    public float[] floats(String name) {
        ByteBuffer b = f32Bytes(name);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    /** Integer tensors (I64, I32, I16, I8, U8, BOOL) widened to long. */
    public long[] longs(String name) {
        SafeTensors.Entry e = entry(name);
        ByteBuffer src = raw(name);
        int n = Math.toIntExact(e.numel());
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (e.dtype()) {
                case I64 -> src.getLong();
                case I32 -> src.getInt();
                case I16 -> src.getShort();
                case I8 -> src.get();
                case U8, BOOL -> src.get() & 0xff;
                default -> throw bad("tensor '" + name + "' is " + e.dtype() + ", not an integer tensor");
            };
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
