package org.clinlora.registry.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoreLayout;

/**
 * Whether a pushed model's stored files form a LLaMA or BERT checkpoint the model library loads: config.json read as
 * the library reads it, tokenizer.json a tokenizer definition, and every tensor of the safetensors headers (read from
 * the store without downloading the data) named and shaped as {@link BaseModelConfig#checkCheckpoint} demands (LLaMA or
 * BERT). Failures are 422 with a reason.
 */
final class ModelCheck {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<SafeTensors.Dtype> FLOATS =
            Set.of(SafeTensors.Dtype.F32, SafeTensors.Dtype.F16, SafeTensors.Dtype.BF16);

    private final BlobStore store;
    private final String id;
    private final Map<String, ModelUploads.DeclaredFile> files;

    ModelCheck(BlobStore store, String id, Map<String, ModelUploads.DeclaredFile> files) {
        this.store = store;
        this.id = id;
        this.files = files;
    }

    void run() {
        BaseModelConfig config;
        try {
            config = BaseModelConfig.fromJson(json("config.json"));
        } catch (IllegalArgumentException e) {
            throw new Unprocessable(
                    "invalid_config",
                    e.getMessage().startsWith("config.json") ? e.getMessage() : "config.json: " + e.getMessage());
        }
        JsonNode tokenizer = json("tokenizer.json");
        if (!tokenizer.isObject() || !tokenizer.path("model").isObject()) {
            throw new Unprocessable(
                    "invalid_tokenizer",
                    "tokenizer.json is not a Hugging Face tokenizer definition (no \"model\" object)");
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        if (files.containsKey("model.safetensors.index.json")) {
            JsonNode map = json("model.safetensors.index.json").path("weight_map");
            if (!map.isObject())
                throw new Unprocessable("invalid_weights", "model.safetensors.index.json has no weight_map");
            Map<String, Map<String, SafeTensors.Entry>> shards = new LinkedHashMap<>();
            for (var it = map.fields(); it.hasNext(); ) {
                var e = it.next();
                String shard = e.getValue().asText();
                if (!files.containsKey(shard)) {
                    throw new Unprocessable(
                            "invalid_weights",
                            "the index puts '" + e.getKey() + "' in " + shard + ", which the push does not include");
                }
                Map<String, SafeTensors.Entry> header = shards.computeIfAbsent(shard, this::header);
                if (!header.containsKey(e.getKey())) {
                    throw new Unprocessable(
                            "invalid_weights", shard + " lacks '" + e.getKey() + "', which the index places there");
                }
                shapes.put(e.getKey(), checkDtype(header.get(e.getKey())).shape());
            }
        } else {
            header("model.safetensors")
                    .forEach((name, entry) -> shapes.put(name, checkDtype(entry).shape()));
        }
        try {
            config.checkCheckpoint(shapes);
        } catch (IllegalArgumentException e) {
            throw new Unprocessable("invalid_weights", "the weights do not fit config.json: " + e.getMessage());
        }
    }

    private static SafeTensors.Entry checkDtype(SafeTensors.Entry e) {
        if (!FLOATS.contains(e.dtype())) {
            throw new Unprocessable(
                    "invalid_weights",
                    "tensor '" + e.name() + "' is " + e.dtype() + "; weights must be F32, F16 or BF16");
        }
        return e;
    }

    private Map<String, SafeTensors.Entry> header(String file) {
        try (InputStream in = store.open(StoreLayout.model(id) + file)) {
            return SafeTensors.readHeader(in, files.get(file).size(), file);
        } catch (SafeTensors.SafeTensorsException e) {
            throw new Unprocessable("invalid_weights", e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode json(String file) {
        byte[] b = store.getBytes(StoreLayout.model(id) + file)
                .orElseThrow(() -> new Unprocessable("not_a_model", file + " is missing"));
        try {
            return JSON.readTree(b);
        } catch (IOException e) {
            throw new Unprocessable("not_a_model", file + " is not valid JSON");
        }
    }
}
