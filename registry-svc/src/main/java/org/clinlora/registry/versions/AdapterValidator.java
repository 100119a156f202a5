package org.clinlora.registry.versions;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.clinlora.model.lora.ClassifierHead;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.Unprocessable;

/**
 * What a version must be before it is stored: PEFT files only (never pickle), an adapter_config.json this project can
 * load, and a safetensors file whose header is sane and whose tensor names and shapes are exactly those the config
 * implies for the named base model.
 */
public final class AdapterValidator {
    /** The evaluation a trainer keeps with a version: its test split's metrics and curves (JSON). */
    public static final String EVALUATION = "evaluation.json";

    /** Files a version may hold; PEFT's save_pretrained also writes a README.md model card. */
    public static final Set<String> ALLOWED =
            Set.of(PeftAdapterDir.CONFIG, PeftAdapterDir.WEIGHTS, "README.md", EVALUATION);

    private static final List<String> PICKLE = List.of(".bin", ".pt", ".pth", ".pkl", ".ckpt");
    private static final Set<SafeTensors.Dtype> FLOATS =
            Set.of(SafeTensors.Dtype.F32, SafeTensors.Dtype.F16, SafeTensors.Dtype.BF16);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INVALID = "invalid_adapter";

    public record Result(LoraConfig config, int numLabels) {}

    private AdapterValidator() {}

    public static Result validate(Map<String, Path> files, BaseModelConfig base) {
        checkFileNames(files);
        if (files.containsKey(EVALUATION)) checkEvaluation(files.get(EVALUATION));
        LoraConfig config = config(files.get(PeftAdapterDir.CONFIG));
        Weights weights = new Weights(config, base);
        try (SafeTensorsReader r = SafeTensors.open(files.get(PeftAdapterDir.WEIGHTS))) {
            for (SafeTensors.Entry e : r.entries().values()) weights.check(e);
        } catch (SafeTensors.SafeTensorsException e) {
            throw new Unprocessable(
                    INVALID, "adapter_model.safetensors: " + e.getMessage().replaceAll("^/\\S+: ", ""));
        } catch (IOException e) {
            throw new InvalidRequest("cannot read adapter_model.safetensors");
        }
        weights.checkComplete();
        return new Result(config, weights.numLabels);
    }

    private static void checkFileNames(Map<String, Path> files) {
        for (String f : files.keySet()) {
            if (PICKLE.stream().anyMatch(f::endsWith))
                throw new InvalidRequest(f + " is a pickle file; adapters are accepted as safetensors only");
            if (!ALLOWED.contains(f))
                throw new InvalidRequest("unknown file '" + f + "'; a version holds " + new TreeSet<>(ALLOWED));
        }
        for (String required : new String[] {PeftAdapterDir.CONFIG, PeftAdapterDir.WEIGHTS}) {
            if (!files.containsKey(required)) throw new InvalidRequest("missing " + required);
        }
    }

    private static void checkEvaluation(Path file) {
        try {
            if (JSON.readTree(file.toFile()).isObject()) return;
        } catch (IOException e) {
            // reported below, as for any other non-object
        }
        throw new InvalidRequest("evaluation.json is not a JSON object");
    }

    private static LoraConfig config(Path file) {
        try {
            return LoraConfig.fromJson(JSON.readTree(file.toFile()));
        } catch (IOException e) {
            throw new InvalidRequest("adapter_config.json is not valid JSON");
        } catch (IllegalArgumentException e) {
            throw new Unprocessable(INVALID, e.getMessage());
        }
    }

    /**
     * The tensors of adapter_model.safetensors, one by one: each LoRA tensor must be one the config implies, in its
     * shape; a SEQ_CLS adapter also carries the base model's classifier head (weight, and bias where the base has one).
     */
    private static final class Weights {
        private final LoraConfig config;
        private final BaseModelConfig base;
        private final ClassifierHead head;
        private final Map<String, long[]> expected;
        private long[] bias;
        private int numLabels;

        Weights(LoraConfig config, BaseModelConfig base) {
            this.config = config;
            this.base = base;
            this.head = base.classifierHead();
            this.expected = new LinkedHashMap<>(config.expectedShapes(base));
        }

        void check(SafeTensors.Entry e) {
            if (!FLOATS.contains(e.dtype())) {
                throw new Unprocessable(
                        INVALID, e.name() + " has dtype " + e.dtype() + "; LoRA weights are F32, F16 or BF16");
            }
            if (e.name().equals(head.biasKey()) && head.bias() && config.savesScore()) {
                bias = e.shape();
            } else if (e.name().equals(head.weightKey()) && config.savesScore()) {
                checkHeadWeight(e);
            } else {
                checkLora(e);
            }
        }

        private void checkHeadWeight(SafeTensors.Entry e) {
            if (e.shape().length != 2 || e.shape()[1] != base.hiddenSize() || e.shape()[0] < 1) {
                throw new Unprocessable(
                        INVALID,
                        e.name() + " has shape " + Arrays.toString(e.shape()) + ", expected [num_labels, "
                                + base.hiddenSize() + "]");
            }
            numLabels = Math.toIntExact(e.shape()[0]);
        }

        private void checkLora(SafeTensors.Entry e) {
            long[] want = expected.remove(e.name());
            if (want == null) {
                throw new Unprocessable(INVALID, "tensor '" + e.name() + "' is not explained by adapter_config.json");
            }
            if (!Arrays.equals(want, e.shape())) {
                throw new Unprocessable(
                        INVALID,
                        e.name() + " has shape " + Arrays.toString(e.shape())
                                + ", but the config and the base model imply " + Arrays.toString(want));
            }
        }

        /** After the last tensor: nothing the config implies is missing, and a SEQ_CLS head is whole. */
        void checkComplete() {
            if (!expected.isEmpty()) {
                throw new Unprocessable(
                        INVALID,
                        "adapter_model.safetensors lacks "
                                + expected.keySet().iterator().next());
            }
            if (config.savesScore() && numLabels == 0)
                throw new Unprocessable(INVALID, "a SEQ_CLS adapter must carry " + head.weightKey());
            if (config.savesScore() && head.bias() && (bias == null || bias.length != 1 || bias[0] != numLabels)) {
                throw new Unprocessable(
                        INVALID,
                        "a SEQ_CLS adapter on a " + base.modelType() + " base must carry " + head.biasKey() + " ["
                                + numLabels + "]");
            }
        }
    }
}
