package org.clinlora.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.llama.LlamaConfig;

/**
 * A Hugging Face model directory: {@code config.json}, weights as {@code model.safetensors} or shards
 * {@code model-0000N-of-0000M.safetensors} listed in {@code model.safetensors.index.json}, and {@code tokenizer.json}.
 */
public final class HfModelDir {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    public static final String TOKENIZER = "tokenizer.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private HfModelDir() {}

    public static LlamaConfig readConfig(Path dir) throws IOException {
        requireDir(dir);
        return LlamaConfig.read(dir.resolve(CONFIG));
    }

    private static void requireDir(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": not a model directory");
    }

    /** Opens the weights, single-file or sharded. Pickle checkpoints ({@code *.bin}) are refused, never read. */
    public static Weights openWeights(Path dir) throws IOException {
        requireDir(dir);
        if (Files.isRegularFile(dir.resolve(INDEX))) return Sharded.open(dir);
        if (Files.isRegularFile(dir.resolve(WEIGHTS))) return new Single(SafeTensors.open(dir.resolve(WEIGHTS)));
        if (Files.exists(dir.resolve("pytorch_model.bin"))
                || Files.exists(dir.resolve("pytorch_model.bin.index.json"))) {
            throw new IllegalArgumentException(
                    dir
                            + ": holds only pickle weights (pytorch_model.bin), which are never loaded; convert them to safetensors");
        }
        throw new IllegalArgumentException(dir + ": has neither " + WEIGHTS + " nor " + INDEX);
    }

    /**
     * Writes config.json and the weights: one file when they fit in {@code maxShardBytes}, otherwise shards and an
     * index, as {@code save_pretrained} lays them out.
     */
    public static void write(
            Path dir, BaseModelConfig config, Map<String, SafeTensors.Tensor> tensors, long maxShardBytes)
            throws IOException {
        List<SafeTensors.Planned> planned = new ArrayList<>();
        for (Map.Entry<String, SafeTensors.Tensor> e : new TreeMap<>(tensors).entrySet())
            planned.add(SafeTensors.Planned.of(e.getKey(), e.getValue()));
        write(dir, config, planned, maxShardBytes);
    }

    /** The same for tensors produced while writing (a checkpoint larger than memory), kept in the given order. */
    public static void write(Path dir, BaseModelConfig config, List<SafeTensors.Planned> tensors, long maxShardBytes)
            throws IOException {
        Files.createDirectories(dir);
        List<List<SafeTensors.Planned>> shards = new ArrayList<>();
        List<SafeTensors.Planned> current = new ArrayList<>();
        long currentBytes = 0, total = 0;
        for (SafeTensors.Planned t : tensors) {
            long n = t.bytes();
            if (!current.isEmpty() && currentBytes + n > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(t);
            currentBytes += n;
            total += n;
        }
        shards.add(current);
        if (shards.size() == 1) {
            SafeTensors.write(dir.resolve(WEIGHTS), shards.get(0), null);
        } else {
            ObjectNode index = JSON.createObjectNode();
            index.putObject("metadata").put("total_size", total);
            ObjectNode map = index.putObject("weight_map");
            for (int i = 0; i < shards.size(); i++) {
                String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
                SafeTensors.write(dir.resolve(file), shards.get(i), null);
                for (SafeTensors.Planned t : shards.get(i)) map.put(t.name(), file);
            }
            Files.write(
                    dir.resolve(INDEX), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
        }
        Files.write(dir.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config.toJson()));
    }

    private record Single(SafeTensorsReader reader) implements Weights {
        public Set<String> names() {
            return reader.entries().keySet();
        }

        public SafeTensors.Entry entry(String name) {
            return reader.entry(name);
        }

        public ByteBuffer f32Bytes(String name) {
            return reader.f32Bytes(name);
        }

        public NDArray toNDArray(NDManager m, String name, DataType dtype) {
            return reader.toNDArray(m, name, dtype);
        }

        public void close() throws IOException {
            reader.close();
        }
    }

    private static final class Sharded implements Weights {
        private final Map<String, SafeTensorsReader> byName;
        private final List<SafeTensorsReader> readers;

        private Sharded(Map<String, SafeTensorsReader> byName, List<SafeTensorsReader> readers) {
            this.byName = byName;
            this.readers = readers;
        }

        static Sharded open(Path dir) throws IOException {
            JsonNode index;
            try {
                index = JSON.readTree(dir.resolve(INDEX).toFile());
            } catch (IOException e) {
                throw new IllegalArgumentException(dir.resolve(INDEX) + ": not valid JSON");
            }
            JsonNode map = index.get("weight_map");
            if (map == null || !map.isObject())
                throw new IllegalArgumentException(dir.resolve(INDEX) + ": no weight_map");
            Map<String, SafeTensorsReader> files = new LinkedHashMap<>();
            Map<String, SafeTensorsReader> byName = new LinkedHashMap<>();
            try {
                for (var it = map.fields(); it.hasNext(); ) {
                    var e = it.next();
                    String file = e.getValue().asText();
                    if (file.contains("/") || file.contains("\\") || file.startsWith(".")) {
                        throw new IllegalArgumentException(
                                dir.resolve(INDEX) + ": shard name '" + file + "' must be a plain file name");
                    }
                    SafeTensorsReader r = files.get(file);
                    if (r == null) {
                        r = SafeTensors.open(dir.resolve(file));
                        files.put(file, r);
                    }
                    if (!r.contains(e.getKey())) {
                        throw new IllegalArgumentException(
                                dir.resolve(file) + ": the index lists '" + e.getKey() + "' but the shard lacks it");
                    }
                    byName.put(e.getKey(), r);
                }
            } catch (RuntimeException | IOException e) {
                for (SafeTensorsReader r : files.values()) r.close();
                throw e;
            }
            return new Sharded(byName, new ArrayList<>(files.values()));
        }

        public Set<String> names() {
            return Collections.unmodifiableSet(byName.keySet());
        }

        private SafeTensorsReader reader(String name) {
            SafeTensorsReader r = byName.get(name);
            if (r == null)
                throw new SafeTensors.SafeTensorsException("sharded checkpoint has no tensor '" + name + "'");
            return r;
        }

        public SafeTensors.Entry entry(String name) {
            return reader(name).entry(name);
        }

        public ByteBuffer f32Bytes(String name) {
            return reader(name).f32Bytes(name);
        }

        public NDArray toNDArray(NDManager m, String name, DataType dtype) {
            return reader(name).toNDArray(m, name, dtype);
        }

        public void close() throws IOException {
            for (SafeTensorsReader r : readers) r.close();
        }
    }
}
