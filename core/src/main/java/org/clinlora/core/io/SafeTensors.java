package org.clinlora.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data), read through a
 * memory map so that a checkpoint never needs its own size in heap, and written atomically (temp file, then rename).
 *
 * <p>No pickle, ever: this is the only weight format the project reads or writes.
 */
public final class SafeTensors {

    /** Headers larger than this are refused before anything is allocated (real headers are a few hundred KiB). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {}

    /** Element types this project reads; F16 and BF16 are converted to F32 on read. */
    public enum Dtype {
        F32(4), F16(2), BF16(2), F64(8), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

        public final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }

        static Dtype parse(String name, String tensor) {
            try {
                return Dtype.valueOf(name);
            } catch (IllegalArgumentException e) {
                throw new SafeTensorsException("tensor '" + tensor + "' has unsupported dtype " + name);
            }
        }
    }

    /** One tensor's entry in the header. Offsets are relative to the start of the data section. */
    public record Entry(String name, Dtype dtype, long[] shape, long begin, long end) {
        public long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    /** A tensor to write: dtype, shape and little-endian bytes. */
    public record Tensor(Dtype dtype, long[] shape, ByteBuffer data) {
        public static Tensor f32(long[] shape, float[] values) {
            ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            return new Tensor(Dtype.F32, shape, b);
        }

        public static Tensor i64(long[] shape, long[] values) {
            ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(values);
            return new Tensor(Dtype.I64, shape, b);
        }

        public static Tensor i32(long[] shape, int[] values) {
            ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asIntBuffer().put(values);
            return new Tensor(Dtype.I32, shape, b);
        }
    }

    /** Bad or unsupported safetensors content; the message names the file or tensor. */
    public static final class SafeTensorsException extends IllegalArgumentException {
        public SafeTensorsException(String message) {
            super(message);
        }
    }

    /** A memory-mapped safetensors file; tensors are looked up by name. */
    public static final class Reader implements Closeable {
        private final Path path;
        private final FileChannel channel;
        private final long dataStart;
        private final Map<String, Entry> entries;
        private final Map<String, String> metadata;

        private Reader(Path path) throws IOException {
            this.path = path;
            this.channel = FileChannel.open(path, StandardOpenOption.READ);
            try {
                long size = channel.size();
                if (size < 8) throw bad("file is shorter than the 8-byte header length");
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                readFully(len, 0);
                long headerLen = len.flip().getLong();
                if (headerLen <= 1 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
                    throw bad("header length " + headerLen + " is out of bounds for a file of " + size + " bytes");
                }
                ByteBuffer header = ByteBuffer.allocate((int) headerLen);
                readFully(header, 8);
                this.dataStart = 8 + headerLen;
                JsonNode root;
                try {
                    root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw bad("header is not valid JSON");
                }
                if (root == null || !root.isObject()) throw bad("header is not a JSON object");
                Map<String, Entry> parsed = new LinkedHashMap<>();
                Map<String, String> meta = new LinkedHashMap<>();
                long dataLen = size - dataStart;
                for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = it.next();
                    if (f.getKey().equals("__metadata__")) {
                        f.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                        continue;
                    }
                    parsed.put(f.getKey(), parseEntry(f.getKey(), f.getValue(), dataLen));
                }
                this.entries = Collections.unmodifiableMap(parsed);
                this.metadata = Collections.unmodifiableMap(meta);
            } catch (RuntimeException | IOException e) {
                channel.close();
                throw e;
            }
        }

        private Entry parseEntry(String name, JsonNode node, long dataLen) {
            JsonNode dt = node.get("dtype"), sh = node.get("shape"), off = node.get("data_offsets");
            if (dt == null || sh == null || off == null || !sh.isArray() || !off.isArray() || off.size() != 2) {
                throw bad("tensor '" + name + "' lacks dtype, shape or data_offsets");
            }
            Dtype dtype = Dtype.parse(dt.asText(), name);
            long[] shape = new long[sh.size()];
            long numel = 1;
            for (int i = 0; i < shape.length; i++) {
                if (!sh.get(i).canConvertToLong() || sh.get(i).asLong() < 0) throw bad("tensor '" + name + "' has a bad shape");
                shape[i] = sh.get(i).asLong();
                numel = Math.multiplyExact(numel, shape[i]);
            }
            long begin = off.get(0).asLong(), end = off.get(1).asLong();
            if (begin < 0 || end < begin || end > dataLen) {
                throw bad("tensor '" + name + "' has data_offsets [" + begin + ", " + end + "] outside the data section of " + dataLen + " bytes");
            }
            if (end - begin != numel * dtype.bytes) {
                throw bad("tensor '" + name + "' holds " + (end - begin) + " bytes but its shape and dtype need " + numel * dtype.bytes);
            }
            return new Entry(name, dtype, shape, begin, end);
        }

        private void readFully(ByteBuffer dst, long pos) throws IOException {
            while (dst.hasRemaining()) {
                int n = channel.read(dst, pos);
                if (n < 0) throw bad("unexpected end of file");
                pos += n;
            }
        }

        private SafeTensorsException bad(String why) {
            return new SafeTensorsException(path + ": " + why);
        }

        public Map<String, Entry> entries() {
            return entries;
        }

        public Map<String, String> metadata() {
            return metadata;
        }

        public boolean contains(String name) {
            return entries.containsKey(name);
        }

        public Entry entry(String name) {
            Entry e = entries.get(name);
            if (e == null) throw bad("has no tensor '" + name + "'");
            return e;
        }

        /** The tensor's raw little-endian bytes, memory-mapped (no heap copy). */
        public ByteBuffer raw(String name) {
            Entry e = entry(name);
            long len = e.end - e.begin;
            if (len > Integer.MAX_VALUE) throw bad("tensor '" + name + "' is larger than 2 GiB; split it across shards");
            try {
                return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin, len).order(ByteOrder.LITTLE_ENDIAN);
            } catch (IOException ex) {
                throw new SafeTensorsException(path + ": cannot map tensor '" + name + "': " + ex.getMessage());
            }
        }

        /**
         * The tensor as little-endian F32 bytes in a direct buffer: the memory map itself for F32, a converted
         * off-heap copy for F16/BF16/F64 (DJL 0.36 aborts the JVM on BF16 arrays, so we never hand it BF16).
         */
        public ByteBuffer f32Bytes(String name) {
            Entry e = entry(name);
            ByteBuffer src = raw(name);
            if (e.dtype == Dtype.F32) return src;
            int n = Math.toIntExact(e.numel());
            ByteBuffer dst = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.LITTLE_ENDIAN);
            switch (e.dtype) {
                case F16 -> {
                    for (int i = 0; i < n; i++) dst.putFloat(Half.f16ToF32(src.getShort()));
                }
                case BF16 -> {
                    for (int i = 0; i < n; i++) dst.putFloat(Float.intBitsToFloat((src.getShort() & 0xffff) << 16));
                }
                case F64 -> {
                    for (int i = 0; i < n; i++) dst.putFloat((float) src.getDouble());
                }
                default -> throw bad("tensor '" + name + "' is " + e.dtype + ", not a floating-point tensor");
            }
            return dst.flip();
        }

        public float[] floats(String name) {
            ByteBuffer b = f32Bytes(name);
            float[] out = new float[b.remaining() / 4];
            b.asFloatBuffer().get(out);
            return out;
        }

        /** Integer tensors (I64, I32, I16, I8, U8, BOOL) widened to long. */
        public long[] longs(String name) {
            Entry e = entry(name);
            ByteBuffer src = raw(name);
            int n = Math.toIntExact(e.numel());
            long[] out = new long[n];
            for (int i = 0; i < n; i++) {
                out[i] = switch (e.dtype) {
                    case I64 -> src.getLong();
                    case I32 -> src.getInt();
                    case I16 -> src.getShort();
                    case I8 -> src.get();
                    case U8, BOOL -> src.get() & 0xff;
                    default -> throw bad("tensor '" + name + "' is " + e.dtype + ", not an integer tensor");
                };
            }
            return out;
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** Temp files are created owner-only; a checkpoint is meant to be read by the services that share it. */
    static void readableByAll(Path p) throws IOException {
        try {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system: keep its defaults
        }
    }

    public static Reader open(Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new SafeTensorsException(path + ": no such file");
        return new Reader(path);
    }

    /**
     * Writes tensors (sorted by name, 8-byte aligned header as the reference implementation pads it) with
     * {@code __metadata__ = {"format": "pt"}} plus the given metadata, to a temp file renamed into place.
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, Tensor> sorted = new TreeMap<>(tensors);
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        meta.put("format", "pt");
        if (metadata != null) metadata.forEach(meta::put);
        long offset = 0;
        for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
            Tensor t = e.getValue();
            long numel = 1;
            for (long d : t.shape()) numel *= d;
            long len = t.data().remaining();
            if (len != numel * t.dtype().bytes) {
                throw new SafeTensorsException("tensor '" + e.getKey() + "': " + len + " bytes for shape "
                        + Arrays.toString(t.shape()) + " of " + t.dtype());
            }
            ObjectNode n = header.putObject(e.getKey());
            n.put("dtype", t.dtype().name());
            var shape = n.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            var offs = n.putArray("data_offsets");
            offs.add(offset);
            offs.add(offset + len);
            offset += len;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');

        Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, "." + path.getFileName(), ".tmp");
        readableByAll(tmp);
        try (OutputStream out = Files.newOutputStream(tmp)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerBytes);
            byte[] chunk = new byte[1 << 16];
            for (Tensor t : sorted.values()) {
                ByteBuffer d = t.data().duplicate();
                while (d.hasRemaining()) {
                    int n = Math.min(chunk.length, d.remaining());
                    d.get(chunk, 0, n);
                    out.write(chunk, 0, n);
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
