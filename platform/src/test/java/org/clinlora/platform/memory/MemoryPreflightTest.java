package org.clinlora.platform.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.MemoryEstimate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The preflight's arithmetic, its reading of cgroup limits (v1, v2, unlimited) and its one-line refusal. */
class MemoryPreflightTest {
    static final long GIB = MemoryEstimate.GIB;

    @TempDir
    Path tmp;

    static BaseModelConfig llama2_7b() throws Exception {
        return BaseModelConfig.fromJson(new ObjectMapper()
                .readTree("{\"model_type\":\"llama\",\"vocab_size\":32000,"
                        + "\"hidden_size\":4096,\"intermediate_size\":11008,\"num_hidden_layers\":32,"
                        + "\"num_attention_heads\":32,\"num_key_value_heads\":32,\"rms_norm_eps\":1e-5,"
                        + "\"max_position_embeddings\":4096,\"tie_word_embeddings\":false}"));
    }

    static MemoryPreflight.Subject scorer(BaseModelConfig c, Compute.Precision p, Device d) {
        return new MemoryPreflight.Subject(
                "scorer-svc refuses to start",
                "llama-2-7b",
                c,
                p,
                d,
                MemoryPreflight.SERVING_ROWS,
                MemoryPreflight.SERVING_SEQ_LEN,
                "set CLINLORA_SCORER_PRECISION=fp16",
                "serve a smaller model");
    }

    /** A preflight with this cgroup root, a 64 GiB machine and a GPU with {@code gpuFree} bytes free. */
    MemoryPreflight preflight(OptionalLong override, long gpuFree) {
        return new MemoryPreflight(
                true, MemoryPreflight.DEFAULT_RUNTIME_BYTES, override, tmp, () -> 64 * GIB, d -> gpuFree);
    }

    @Test
    void cgroupV2LimitIsRead() throws Exception {
        Files.writeString(tmp.resolve("memory.max"), "8589934592\n");
        assertEquals(OptionalLong.of(8 * GIB), MemoryPreflight.cgroupLimit(tmp));
        assertEquals(
                new MemoryPreflight.Available(8 * GIB, "the container's memory limit"),
                preflight(OptionalLong.empty(), 0).hostAvailable());
    }

    @Test
    void cgroupV2MaxMeansNoLimitAndTheMachinesMemoryCounts() throws Exception {
        Files.writeString(tmp.resolve("memory.max"), "max\n");
        // v2 answers even when a v1 file is also there (a hybrid host): "max" is no limit.
        Files.createDirectories(tmp.resolve("memory"));
        Files.writeString(tmp.resolve("memory/memory.limit_in_bytes"), "1073741824\n");
        assertEquals(OptionalLong.empty(), MemoryPreflight.cgroupLimit(tmp));
        assertEquals(
                new MemoryPreflight.Available(64 * GIB, "the machine's memory"),
                preflight(OptionalLong.empty(), 0).hostAvailable());
    }

    @Test
    void cgroupV1LimitIsReadAndItsHugeValueMeansNoLimit() throws Exception {
        Files.createDirectories(tmp.resolve("memory"));
        Files.writeString(tmp.resolve("memory/memory.limit_in_bytes"), "4294967296\n");
        assertEquals(OptionalLong.of(4 * GIB), MemoryPreflight.cgroupLimit(tmp));
        Files.writeString(tmp.resolve("memory/memory.limit_in_bytes"), "9223372036854771712\n");
        assertEquals(OptionalLong.empty(), MemoryPreflight.cgroupLimit(tmp));
        assertEquals(OptionalLong.empty(), MemoryPreflight.cgroupLimit(tmp.resolve("absent")));
    }

    @Test
    void theOverrideWinsOverTheCgroup() throws Exception {
        Files.writeString(tmp.resolve("memory.max"), "8589934592\n");
        assertEquals(
                new MemoryPreflight.Available(512L << 20, "the memory limit (CLINLORA_MEMORY_LIMIT)"),
                preflight(OptionalLong.of(512L << 20), 0).hostAvailable());
    }

    @Test
    void sizesParseAsKubernetesAndTheJvmWriteThem() {
        assertEquals(8 * GIB, MemoryPreflight.parseSize("k", "8G"));
        assertEquals(8 * GIB, MemoryPreflight.parseSize("k", "8Gi"));
        assertEquals(8 * GIB, MemoryPreflight.parseSize("k", "8gb"));
        assertEquals(1536L << 20, MemoryPreflight.parseSize("k", "1536M"));
        assertEquals(64L << 20, MemoryPreflight.parseSize("k", "64M"));
        assertEquals(1024, MemoryPreflight.parseSize("k", "1024"));
        assertEquals(3 * GIB / 2, MemoryPreflight.parseSize("k", "1.5G"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> MemoryPreflight.parseSize("clinlora.memory.limit", "8 gigs"));
        assertTrue(e.getMessage().startsWith("clinlora.memory.limit must be a size"), e.getMessage());
    }

    @Test
    void settingsComeFromTheSharedKeys() {
        Map<String, String> c = Map.of(
                "clinlora.memory.preflight", "false", "clinlora.memory.limit", "2G", "clinlora.memory.runtime", "1G");
        MemoryPreflight p = MemoryPreflight.fromConfig(k -> Optional.ofNullable(c.get(k)));
        assertFalse(p.enabled());
        assertEquals(GIB, p.runtimeBytes());
        assertEquals(2 * GIB, p.hostAvailable().bytes());
        MemoryPreflight defaults =
                MemoryPreflight.fromConfig(k -> k.equals("clinlora.memory.limit") ? Optional.of("") : Optional.empty());
        assertTrue(defaults.enabled());
        assertEquals(MemoryPreflight.DEFAULT_RUNTIME_BYTES, defaults.runtimeBytes());
    }

    @Test
    void sevenBInFp32OnAnEightGibCpuContainerIsRefusedInOneLine() throws Exception {
        Files.writeString(tmp.resolve("memory.max"), String.valueOf(8 * GIB));
        Optional<String> r =
                preflight(OptionalLong.empty(), 0).check(scorer(llama2_7b(), Compute.Precision.FP32, Device.cpu()));
        assertEquals(
                "scorer-svc refuses to start: base model 'llama-2-7b' (6.74 B parameters, fp32 on cpu) needs about"
                        + " 27.9 GiB (weights 25.1 GiB + activations 1.3 GiB + runtime 1.5 GiB) but the container's"
                        + " memory limit is 8.0 GiB; set CLINLORA_SCORER_PRECISION=fp16, raise the memory limit, or"
                        + " serve a smaller model",
                r.orElseThrow());
        assertFalse(r.get().contains("\n"));
    }

    @Test
    void theArithmeticIsTheEstimatesAndFp16FitsSixteenGib() throws Exception {
        BaseModelConfig c = llama2_7b();
        MemoryPreflight p = preflight(OptionalLong.of(16 * GIB), 0);
        MemoryEstimate e = p.estimate(c, Compute.Precision.FP16, 8, 512);
        assertEquals(6_738_415_616L * 2, e.weightBytes());
        // 8 × 512 tokens × (4·4096 + 3·11008) floats + 8 × 2·32·512² floats, 4 bytes each.
        assertEquals(4L * (8L * 512 * (4 * 4096 + 3 * 11008) + 8L * 2 * 32 * 512 * 512), e.activationBytes());
        assertEquals(e.weightBytes() + e.activationBytes() + (1536L << 20), e.hostBytes());
        assertTrue(p.check(scorer(c, Compute.Precision.FP16, Device.cpu())).isEmpty());
        // At exactly the estimate it fits; a byte less does not.
        assertTrue(preflight(OptionalLong.of(e.hostBytes()), 0)
                .check(scorer(c, Compute.Precision.FP16, Device.cpu()))
                .isEmpty());
        String r = preflight(OptionalLong.of(e.hostBytes() - 1), 0)
                .check(scorer(c, Compute.Precision.FP16, Device.cpu()))
                .orElseThrow();
        // Already fp16: the remedies are more memory or a smaller model.
        assertTrue(
                r.endsWith("but the memory limit (CLINLORA_MEMORY_LIMIT) is 15.3 GiB; raise CLINLORA_MEMORY_LIMIT, or"
                        + " serve a smaller model"),
                r);
    }

    @Test
    void onAGpuTheFreeDeviceMemoryCountsAndTheHostKeepsTheRuntime() throws Exception {
        BaseModelConfig c = llama2_7b();
        Device gpu = Device.gpu(0);
        // A 24 GB card with 22 GiB free: fp16 (14.9 GiB with the CUDA context) fits, fp32 does not.
        assertTrue(preflight(OptionalLong.of(8 * GIB), 22 * GIB)
                .check(scorer(c, Compute.Precision.FP16, gpu))
                .isEmpty());
        assertEquals(
                "scorer-svc refuses to start: base model 'llama-2-7b' (6.74 B parameters, fp32 on cuda:0) needs"
                        + " about 27.4 GiB on cuda:0 (weights 25.1 GiB + activations 1.3 GiB + CUDA context 1.0 GiB)"
                        + " but the free memory of cuda:0 is 22.0 GiB; set CLINLORA_SCORER_PRECISION=fp16, use a GPU"
                        + " with more free memory, or serve a smaller model",
                preflight(OptionalLong.of(8 * GIB), 22 * GIB)
                        .check(scorer(c, Compute.Precision.FP32, gpu))
                        .orElseThrow());
        // The host of a GPU pod needs the runtime and a checkpoint tensor in flight: 3.5 GiB.
        assertEquals(
                "scorer-svc refuses to start: base model 'llama-2-7b' (6.74 B parameters, fp16 on cuda:0) needs"
                        + " about 3.5 GiB of host memory beside the GPU (runtime 1.5 GiB + checkpoint in flight 2.0"
                        + " GiB) but the memory limit (CLINLORA_MEMORY_LIMIT) is 2.0 GiB; raise CLINLORA_MEMORY_LIMIT",
                preflight(OptionalLong.of(2 * GIB), 22 * GIB)
                        .check(scorer(c, Compute.Precision.FP16, gpu))
                        .orElseThrow());
    }

    @Test
    void aGpuWhoseMemoryCannotBeReadIsNotCheckedAndThePreflightCanBeTurnedOff() throws Exception {
        BaseModelConfig c = llama2_7b();
        MemoryPreflight unreadable = new MemoryPreflight(
                true, MemoryPreflight.DEFAULT_RUNTIME_BYTES, OptionalLong.of(8 * GIB), tmp, () -> 0, d -> {
                    throw new IllegalStateException("No GPU device detected.");
                });
        assertTrue(unreadable
                .check(scorer(c, Compute.Precision.FP32, Device.gpu(0)))
                .isEmpty());
        MemoryPreflight off = new MemoryPreflight(
                false, MemoryPreflight.DEFAULT_RUNTIME_BYTES, OptionalLong.of(1), tmp, () -> 1, d -> 1);
        assertTrue(off.check(scorer(c, Compute.Precision.FP32, Device.cpu())).isEmpty());
    }

    @Test
    void parameterCountsReadAsPeopleWriteThem() {
        assertEquals("6.74 B", MemoryPreflight.parameters(6_738_415_616L));
        assertEquals("109.5 M", MemoryPreflight.parameters(109_482_240L));
        assertEquals("524 k", MemoryPreflight.parameters(524_288L));
        assertEquals("12", MemoryPreflight.parameters(12));
    }
}
