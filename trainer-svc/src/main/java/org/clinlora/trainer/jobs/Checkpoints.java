package org.clinlora.trainer.jobs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.clinlora.model.io.NdArrays;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.train.Trainer;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;

/**
 * A job's checkpoints under {@code training-jobs/{id}/}: the trainable tensors as float32 safetensors, and
 * {@code checkpoint.json} pointing at the newest with its sha256 (verified before a resumed job trusts it). Written by
 * the running job's listener, read by {@link JobRunner} to resume, removed once the job has ended.
 */
@Singleton
final class Checkpoints {
    static final String POINTER = "checkpoint.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BlobStore store;

    Checkpoints(BlobStore store) {
        this.store = store;
    }

    /** Tensors first, then the pointer: a crash between the two leaves the previous checkpoint in force. */
    void save(String id, int step, Map<String, NDArray> tensors) throws IOException {
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        tensors.forEach((k, v) -> t.put(k, NdArrays.toTensor(v.toType(DataType.FLOAT32, false))));
        Path tmp = Files.createTempFile("checkpoint", ".safetensors");
        try {
            SafeTensors.write(tmp, t, Map.of("job", id, "step", String.valueOf(step)));
            String file = String.format("checkpoints/step-%08d.safetensors", step);
            String sha = Sha256.of(tmp);
            String prefix = StoreLayout.trainingJob(id);
            store.put(prefix + file, tmp, Map.of());
            String previous = store.getBytes(prefix + POINTER)
                    .map(b -> readTree(b).path("file").asText())
                    .orElse(null);
            store.put(
                    prefix + POINTER,
                    JSON.writeValueAsBytes(Map.of("step", step, "file", file, "sha256", sha)),
                    Map.of());
            if (previous != null && !previous.equals(file)) store.delete(prefix + previous);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    Trainer.Resume load(String id) throws IOException {
        String prefix = StoreLayout.trainingJob(id);
        var pointer = store.getBytes(prefix + POINTER);
        if (pointer.isEmpty()) return null;
        JsonNode p = readTree(pointer.get());
        Path tmp = Files.createTempFile("checkpoint", ".safetensors");
        try {
            String got;
            try (var in = store.open(prefix + p.path("file").asText());
                    var out = Files.newOutputStream(tmp)) {
                got = Sha256.copy(in, out);
            }
            if (!got.equals(p.path("sha256").asText()))
                throw new IllegalStateException("checkpoint of job " + id + " does not match its sha256; refusing it");
            Map<String, float[]> tensors = new LinkedHashMap<>();
            try (SafeTensorsReader r = SafeTensors.open(tmp)) {
                for (String k : r.entries().keySet()) tensors.put(k, r.floats(k));
            }
            return new Trainer.Resume(p.path("step").asInt(), tensors);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Removes the job's checkpoints and staged files once it has finished one way or another. */
    void cleanUp(String id) {
        String prefix = StoreLayout.trainingJob(id);
        for (String k : store.list(prefix)) {
            if (!k.endsWith("/job.json") && !k.equals(StoreLayout.trainingJobMetrics(id))) store.delete(k);
        }
    }

    private static JsonNode readTree(byte[] b) {
        try {
            return JSON.readTree(b);
        } catch (IOException e) {
            throw new IllegalStateException("unreadable JSON in the job's files");
        }
    }
}
