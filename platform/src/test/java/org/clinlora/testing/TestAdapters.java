package org.clinlora.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraConfig;

/** Valid PEFT adapter directories for a base config, written without loading a model (for service tests). */
public final class TestAdapters {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestAdapters() {}

    public static Path write(Path dir, LoraConfig config, LlamaConfig base, int numLabels, long seed)
            throws IOException {
        Files.createDirectories(dir);
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>(config.expectedShapes(base));
        if (config.savesScore()) shapes.put(LoraAdapter.SCORE_KEY, new long[] {numLabels, base.hiddenSize()});
        shapes.forEach((k, s) -> {
            float[] v = new float[Math.toIntExact(s[0] * s[1])];
            for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 0.02);
            t.put(k, SafeTensors.Tensor.f32(s, v));
        });
        SafeTensors.write(dir.resolve(PeftAdapterDir.WEIGHTS), t, null);
        Files.write(dir.resolve(PeftAdapterDir.CONFIG), JSON.writeValueAsBytes(config.toJson()));
        return dir;
    }
}
