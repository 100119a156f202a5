package org.clinlora.registry.versions;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.lora.ClassifierHead;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.platform.api.ApiException;

/**
 * What a version must be before it is stored: PEFT files only (never pickle), an adapter_config.json this project
 * can load, and a safetensors file whose header is sane and whose tensor names and shapes are exactly those the
 * config implies for the named base model.
 */
public final class AdapterValidator {
    /** Files a version may hold; PEFT's save_pretrained also writes a README.md model card. */
    /** The evaluation a trainer keeps with a version: its test split's metrics and curves (JSON). */
    public static final String EVALUATION = "evaluation.json";

    public static final Set<String> ALLOWED = Set.of(PeftAdapterDir.CONFIG, PeftAdapterDir.WEIGHTS, "README.md", EVALUATION);
    private static final Set<SafeTensors.Dtype> FLOATS = Set.of(SafeTensors.Dtype.F32, SafeTensors.Dtype.F16, SafeTensors.Dtype.BF16);
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Result(LoraConfig config, int numLabels) {}

    private AdapterValidator() {}

    public static Result validate(Map<String, Path> files, BaseModelConfig base) {
        for (String f : files.keySet()) {
            if (f.endsWith(".bin") || f.endsWith(".pt") || f.endsWith(".pth") || f.endsWith(".pkl") || f.endsWith(".ckpt")) {
                throw ApiException.invalid(f + " is a pickle file; adapters are accepted as safetensors only");
            }
            if (!ALLOWED.contains(f)) throw ApiException.invalid("unknown file '" + f + "'; a version holds " + new TreeSet<>(ALLOWED));
        }
        for (String required : new String[] {PeftAdapterDir.CONFIG, PeftAdapterDir.WEIGHTS}) {
            if (!files.containsKey(required)) throw ApiException.invalid("missing " + required);
        }
        if (files.containsKey(EVALUATION)) {
            try {
                if (!JSON.readTree(files.get(EVALUATION).toFile()).isObject()) throw new IOException("not an object");
            } catch (IOException e) {
                throw ApiException.invalid("evaluation.json is not a JSON object");
            }
        }
        LoraConfig config;
        try {
            config = LoraConfig.fromJson(JSON.readTree(files.get(PeftAdapterDir.CONFIG).toFile()));
        } catch (IOException e) {
            throw ApiException.invalid("adapter_config.json is not valid JSON");
        } catch (IllegalArgumentException e) {
            throw ApiException.unprocessable("invalid_adapter", e.getMessage());
        }
        Map<String, long[]> expected = new LinkedHashMap<>(config.expectedShapes(base));
        ClassifierHead head = base.classifierHead();
        long[] bias = null;
        int numLabels = 0;
        try (SafeTensorsReader r = SafeTensors.open(files.get(PeftAdapterDir.WEIGHTS))) {
            for (SafeTensors.Entry e : r.entries().values()) {
                if (!FLOATS.contains(e.dtype())) throw ApiException.unprocessable("invalid_adapter", e.name() + " has dtype " + e.dtype() + "; LoRA weights are F32, F16 or BF16");
                if (e.name().equals(head.biasKey()) && head.bias() && config.savesScore()) {
                    bias = e.shape();
                    continue;
                }
                if (e.name().equals(head.weightKey()) && config.savesScore()) {
                    if (e.shape().length != 2 || e.shape()[1] != base.hiddenSize() || e.shape()[0] < 1) {
                        throw ApiException.unprocessable("invalid_adapter", e.name() + " has shape " + Arrays.toString(e.shape())
                                + ", expected [num_labels, " + base.hiddenSize() + "]");
                    }
                    numLabels = Math.toIntExact(e.shape()[0]);
                    continue;
                }
                long[] want = expected.remove(e.name());
                if (want == null) throw ApiException.unprocessable("invalid_adapter", "tensor '" + e.name() + "' is not explained by adapter_config.json");
                if (!Arrays.equals(want, e.shape())) {
                    throw ApiException.unprocessable("invalid_adapter", e.name() + " has shape " + Arrays.toString(e.shape())
                            + ", but the config and the base model imply " + Arrays.toString(want));
                }
            }
        } catch (SafeTensors.SafeTensorsException e) {
            throw ApiException.unprocessable("invalid_adapter", "adapter_model.safetensors: " + e.getMessage().replaceAll("^/\\S+: ", ""));
        } catch (IOException e) {
            throw ApiException.invalid("cannot read adapter_model.safetensors");
        }
        if (!expected.isEmpty()) throw ApiException.unprocessable("invalid_adapter", "adapter_model.safetensors lacks " + expected.keySet().iterator().next());
        if (config.savesScore() && numLabels == 0) throw ApiException.unprocessable("invalid_adapter", "a SEQ_CLS adapter must carry " + head.weightKey());
        if (config.savesScore() && head.bias() && (bias == null || bias.length != 1 || bias[0] != numLabels)) {
            throw ApiException.unprocessable("invalid_adapter", "a SEQ_CLS adapter on a " + base.modelType() + " base must carry " + head.biasKey() + " ["
                    + numLabels + "]");
        }
        return new Result(config, numLabels);
    }
}
