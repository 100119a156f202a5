package org.clinlora.model.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
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

    static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {}

    /** Element types this project reads; F16 and BF16 are converted to F32 on read. */
    public enum Dtype {
        F32(4),
        F16(2),
        BF16(2),
        F64(8),
        I64(8),
        I32(4),
        I16(2),
        I8(1),
        U8(1),
        BOOL(1);

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

    /** Temp files are created owner-only; a checkpoint is meant to be read by the services that share it. */
    static void readableByAll(Path p) throws IOException {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system: keep its defaults
        }
    }

    public static SafeTensorsReader open(Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new SafeTensorsException(path + ": no such file");
        return new SafeTensorsReader(path);
    }

    /**
     * The tensors declared by the header at the start of {@code in} (a safetensors file of {@code fileSize} bytes),
     * reading no further than the header: how a stored checkpoint is checked without downloading it.
     */
    public static Map<String, Entry> readHeader(InputStream in, long fileSize, String where) throws IOException {
        byte[] len = in.readNBytes(8);
        if (len.length < 8) throw new SafeTensorsException(where + ": file is shorter than the 8-byte header length");
        long headerLen = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLen <= 1 || headerLen > MAX_HEADER_BYTES || headerLen > fileSize - 8) {
            throw new SafeTensorsException(
                    where + ": header length " + headerLen + " is out of bounds for a file of " + fileSize + " bytes");
        }
        byte[] header = in.readNBytes((int) headerLen);
        if (header.length < headerLen) throw new SafeTensorsException(where + ": unexpected end of file in the header");
        return SafeTensorsReader.parseHeader(header, fileSize - 8 - headerLen, new LinkedHashMap<>(), where);
    }

    /** A tensor to write whose bytes are produced while writing: a checkpoint larger than the heap streams to disk. */
    public record Planned(String name, Dtype dtype, long[] shape, Body body) {
        public long bytes() {
            long n = dtype.bytes;
            for (long d : shape) n = Math.multiplyExact(n, d);
            return n;
        }

        /** A tensor already in memory, written as it is. */
        public static Planned of(String name, Tensor t) {
            Planned p = new Planned(name, t.dtype(), t.shape(), out -> {
                ByteBuffer d = t.data().duplicate();
                byte[] chunk = new byte[1 << 16];
                while (d.hasRemaining()) {
                    int n = Math.min(chunk.length, d.remaining());
                    d.get(chunk, 0, n);
                    out.write(chunk, 0, n);
                }
            });
            if (t.data().remaining() != p.bytes()) {
                throw new SafeTensorsException("tensor '" + name + "': "
                        + t.data().remaining() + " bytes for shape " + Arrays.toString(t.shape()) + " of " + t.dtype());
            }
            return p;
        }
    }

    /** Writes exactly the planned tensor's bytes, little-endian, to {@code out}. */
    @FunctionalInterface
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes tensors (sorted by name, 8-byte aligned header as the reference implementation pads it) with
     * {@code __metadata__ = {"format": "pt"}} plus the given metadata, to a temp file renamed into place.
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        List<Planned> planned = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : new TreeMap<>(tensors).entrySet())
            planned.add(Planned.of(e.getKey(), e.getValue()));
        write(path, planned, metadata);
    }

    /** The same for tensors whose bytes are produced while writing, in the given order. */
    public static void write(Path path, List<Planned> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        meta.put("format", "pt");
        if (metadata != null) metadata.forEach(meta::put);
        long offset = 0;
        for (Planned t : tensors) {
            ObjectNode n = header.putObject(t.name());
            n.put("dtype", t.dtype().name());
            var shape = n.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            var offs = n.putArray("data_offsets");
            offs.add(offset);
            offs.add(offset + t.bytes());
            offset += t.bytes();
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');

        Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, "." + path.getFileName(), ".tmp");
        readableByAll(tmp);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            ByteBuffer len =
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerBytes);
            for (Planned t : tensors) {
                CountingStream counted = new CountingStream(out);
                t.body().writeTo(counted);
                if (counted.count != t.bytes()) {
                    throw new SafeTensorsException("tensor '" + t.name() + "': wrote " + counted.count
                            + " bytes, its shape and dtype need " + t.bytes());
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static final class CountingStream extends FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
