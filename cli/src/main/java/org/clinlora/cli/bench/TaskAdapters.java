package org.clinlora.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.lora.LoraAdapter;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ObjectStore;

/**
 * What the scoring benches ({@code bench score}, {@code bench soak}) score with: random two-label task adapters (LoRA r
 * 8, alpha 16 on q_proj+v_proj with a score head), staged in the bucket and published as a trainer would, and synthetic
 * admission notes.
 */
final class TaskAdapters {
    private static final ObjectMapper JSON = new ObjectMapper();

    static final LoraConfig CONFIG =
            new LoraConfig("SEQ_CLS", 8, 16, 0.1, List.of("q_proj", "v_proj"), List.of("score"), false, null);
    static final List<String> LABELS = List.of("0", "1");

    /** The Clinical LoRA the task adapters stack on with {@code bench score --clinical}: the paper's r 16, alpha 32. */
    static final LoraConfig CLINICAL =
            new LoraConfig("CAUSAL_LM", 16, 32, 0.05, List.of("q_proj", "v_proj"), List.of(), false, null);

    private TaskAdapters() {}

    /** A SEQ_CLS adapter with random (non-identity) LoRA pairs and head, as PEFT lays it out. */
    static Path write(Path dir, LoraConfig cfg, LlamaConfig base, long seed) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, long[]> shapes = new LinkedHashMap<>(cfg.expectedShapes(base));
        if (cfg.modulesToSave().contains(LoraConfig.SCORE))
            shapes.put(LoraAdapter.SCORE_KEY, new long[] {LABELS.size(), base.hiddenSize()});
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        shapes.forEach((k, s) -> {
            float[] v = new float[Math.toIntExact(s[0] * s[1])];
            for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 0.02);
            t.put(k, SafeTensors.Tensor.f32(s, v));
        });
        SafeTensors.write(dir.resolve(PeftAdapterDir.WEIGHTS), t, null);
        Files.write(dir.resolve(PeftAdapterDir.CONFIG), JSON.writeValueAsBytes(cfg.toJson()));
        return dir;
    }

    /** Copies the adapter folder's files to the bucket under {@code prefix}, as a trainer leaves them. */
    static void stage(ObjectStore store, Path dir, String prefix) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) store.put(prefix + f.getFileName(), f, Map.of());
        }
    }

    /** Publishes the files under {@code prefix} as the next version of task {@code name} on base {@code modelId}. */
    static AdapterCard publish(RegistryClient registry, String name, String prefix, String modelId) throws IOException {
        return publish(registry, name, prefix, modelId, null);
    }

    /** As {@link #publish(RegistryClient, String, String, String)}, stacked on {@code parentRef} when not null. */
    static AdapterCard publish(RegistryClient registry, String name, String prefix, String modelId, String parentRef)
            throws IOException {
        PublishRequest card = PublishRequest.of(name, modelId).withLabels(LABELS, null, null);
        return registry.publishFromStore(name, prefix, parentRef == null ? card : card.withParent(parentRef));
    }

    /** Publishes a Clinical LoRA ({@link #CLINICAL}) staged under {@code prefix}. */
    static AdapterCard publishClinical(RegistryClient registry, String name, String prefix, String modelId)
            throws IOException {
        return registry.publishFromStore(name, prefix, PublishRequest.of("clinical-lm", modelId));
    }

    /** The notes the scoring clients send: synthetic admission notes (50 patients). */
    static List<String> notesToScore() {
        List<String> notes = new ArrayList<>();
        for (SyntheticCorpus.Admission a : new SyntheticCorpus(new SyntheticCorpus.Settings(50, 0.9, 3)).admissions())
            notes.add(a.admissionNote());
        return notes;
    }
}
