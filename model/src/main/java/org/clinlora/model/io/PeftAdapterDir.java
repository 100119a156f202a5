package org.clinlora.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraConfig;

/**
 * A PEFT adapter directory, exactly as {@code PeftModel.save_pretrained} writes it: {@code adapter_config.json} and
 * {@code adapter_model.safetensors} with keys {@code base_model.model.<module>.lora_A.weight} / {@code .lora_B.weight}
 * (no adapter name in the key) and {@code base_model.model.score.weight} (LLaMA) or
 * {@code base_model.model.classifier.weight/.bias} (BERT) for a SEQ_CLS head.
 */
public final class PeftAdapterDir {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";

    private static final ObjectMapper JSON = new ObjectMapper();

    private PeftAdapterDir() {}

    public static LoraConfig readConfig(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": not an adapter directory");
        Path cfg = dir.resolve(CONFIG);
        if (!Files.isRegularFile(cfg)) throw new IllegalArgumentException(dir + ": has no " + CONFIG);
        JsonNode n;
        try {
            n = JSON.readTree(cfg.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(cfg + ": not valid JSON");
        }
        return LoraConfig.fromJson(n);
    }

    /**
     * Loads adapter directories onto the model as {@code adapter0, adapter1, …} and returns their names in order: the
     * active stack, first given first applied (their deltas are summed, so the order only names them).
     */
    public static List<String> loadStack(BaseModel model, List<String> dirs) throws IOException {
        return loadStack(model, dirs, false);
    }

    /** {@link #loadStack(BaseModel, List)}, each adapter read for serving ({@link #readForServing}). */
    public static List<String> loadStackForServing(BaseModel model, List<String> dirs) throws IOException {
        return loadStack(model, dirs, true);
    }

    private static List<String> loadStack(BaseModel model, List<String> dirs, boolean packed) throws IOException {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < dirs.size(); i++) {
            load(model, "adapter" + i, Path.of(dirs.get(i)), packed);
            names.add("adapter" + i);
        }
        return names;
    }

    /**
     * Reads the adapter in {@code dir} and installs it on {@code model} under {@code name} (frozen). Its tensors are
     * held in fp32 whatever the base's dtype, as PEFT autocasts half adapter weights to float32: a trainable adapter
     * keeps fp32 master weights and a served one adds its delta in fp32.
     */
    public static LoraAdapter load(BaseModel model, String name, Path dir) throws IOException {
        return load(model, name, dir, false);
    }

    private static LoraAdapter load(BaseModel model, String name, Path dir, boolean packed) throws IOException {
        LoraAdapter adapter = read(model, name, dir, packed);
        try {
            model.addAdapter(adapter);
        } catch (RuntimeException e) {
            adapter.close();
            throw e;
        }
        return adapter;
    }

    /**
     * Reads and checks the adapter against the model's projections without installing it, its tensors resident arrays
     * that can be trained, saved and merged (a server reads with {@link #readForServing} instead: on loader threads,
     * installing between batches on the thread that runs the model).
     */
    public static LoraAdapter read(BaseModel model, String name, Path dir) throws IOException {
        return read(model, name, dir, false);
    }

    /**
     * Reads the adapter for serving: frozen, its LoRA pairs packed in one tensor
     * ({@link LoraAdapter#packedFromTensors}), so a scorer holding thousands of adapters pays little beyond their
     * values.
     */
    public static LoraAdapter readForServing(BaseModel model, String name, Path dir) throws IOException {
        return read(model, name, dir, true);
    }

    private static LoraAdapter read(BaseModel model, String name, Path dir, boolean packed) throws IOException {
        LoraConfig config = readConfig(dir);
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            if (Files.exists(dir.resolve("adapter_model.bin"))) {
                throw new IllegalArgumentException(
                        dir + ": holds adapter_model.bin (pickle), which is never loaded; convert it where PEFT "
                                + "runs: PeftModel.from_pretrained(base, dir).save_pretrained(out, safe_serialization=True) writes "
                                + WEIGHTS);
            }
            throw new IllegalArgumentException(dir + ": has no " + WEIGHTS);
        }
        List<ByteBuffer> read = new ArrayList<>();
        try (SafeTensorsReader r = SafeTensors.open(weights)) {
            Map<String, long[]> shapes = new LinkedHashMap<>();
            r.entries().forEach((k, e) -> shapes.put(k, e.shape()));
            Function<String, ByteBuffer> values = key -> {
                ByteBuffer b = r.f32Bytes(key);
                read.add(b);
                return b;
            };
            return packed
                    ? LoraAdapter.packedFromTensors(
                            name, config, model.projections(), model.classifierHead(), model.manager(), shapes, values)
                    : LoraAdapter.fromTensors(
                            name,
                            config,
                            model.projections(),
                            model.classifierHead(),
                            model.manager(),
                            DataType.FLOAT32,
                            shapes,
                            values);
        } finally {
            // Each tensor was copied into libtorch memory: unmap the file at once. Left to the GC, a scorer holding
            // thousands of adapters kept their file pages resident (17 mappings per adapter) until a collection.
            read.forEach(Buffers::release);
        }
    }

    /**
     * Writes the adapter as PEFT does. The directory appears complete or not at all: files go to a temp sibling that is
     * renamed into place.
     */
    public static void save(LoraAdapter adapter, Path dir, String baseModelNameOrPath) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        if (Files.exists(dir) && !isEmptyDir(dir))
            throw new IllegalArgumentException(dir + ": exists and is not empty");
        Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".tmp");
        try {
            Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : adapter.parameters().entrySet()) {
                tensors.put(e.getKey(), NdArrays.toTensor(e.getValue()));
            }
            SafeTensors.write(tmp.resolve(WEIGHTS), tensors, null);
            LoraConfig cfg = adapter.config().withBaseModel(baseModelNameOrPath);
            Files.write(
                    tmp.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg.toJson()));
            Files.deleteIfExists(dir);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    private static boolean isEmptyDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return false;
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /** Deletes a file tree (a half-written temp directory, a model directory being replaced). */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
