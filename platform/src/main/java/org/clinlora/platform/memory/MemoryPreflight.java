package org.clinlora.platform.memory;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.MemoryEstimate;

/**
 * Whether a base model fits where it is about to be loaded, asked before a byte of its weights is read: the estimate
 * ({@link MemoryEstimate}, the one formula the Kubernetes limits and docs/DEPLOYING.md use too) against the memory
 * there is — on CPU the container's limit (cgroup v2 {@code memory.max}, or v1 {@code memory.limit_in_bytes}; no limit:
 * the machine's memory), on CUDA the GPU's free memory (and the host still needs the runtime beside it). A model that
 * does not fit is refused with one line that says the estimate, the limit and the settings to change, instead of the
 * process being OOM-killed minutes later with nothing in its log.
 *
 * <p>Settings ({@code clinlora.memory.*}, shared through the platform's configuration): {@code preflight}
 * ({@code CLINLORA_MEMORY_PREFLIGHT}, default true), {@code limit} ({@code CLINLORA_MEMORY_LIMIT}: the host limit to
 * compare with instead of the detected one, e.g. {@code 8G}), {@code runtime} ({@code CLINLORA_MEMORY_RUNTIME}: the
 * JVM's heap and the rest plus libtorch's own allocations, default {@code 1536M}).
 */
public final class MemoryPreflight {
    private static final Logger LOG = Logger.getLogger(MemoryPreflight.class.getName());

    /** The scorer's batch and note length the serving estimate is made for (docs/DEPLOYING.md uses the same). */
    public static final int SERVING_ROWS = 8;

    public static final int SERVING_SEQ_LEN = 512;
    public static final long DEFAULT_RUNTIME_BYTES = 1536L << 20;
    /** A GPU pod's host memory beside the runtime: one tensor in flight and the page cache of the checkpoint copied. */
    public static final long GPU_HOST_HEADROOM_BYTES = 2L << 30;
    /** cgroup v1 says "no limit" with a huge number (a page-aligned Long.MAX_VALUE); anything above 1 EiB is that. */
    static final long UNLIMITED = 1L << 60;

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(?:I?B?)?");

    public static final String PREFLIGHT_KEY = "clinlora.memory.preflight";
    public static final String LIMIT_KEY = "clinlora.memory.limit";
    public static final String RUNTIME_KEY = "clinlora.memory.runtime";
    public static final String LIMIT_ENV = "CLINLORA_MEMORY_LIMIT";

    /** Memory there is for the model, and what it is called in a refusal ("… but {@code what} is 8.0 GiB"). */
    public record Available(long bytes, String what) {}

    /**
     * What is about to be loaded, and how a refusal names it and its remedies.
     *
     * @param refuser the line's subject: {@code scorer-svc refuses to start}, {@code trainer-svc cannot run job 'x'}
     * @param precisionSetting how to ask for fp16 here: {@code set CLINLORA_SCORER_PRECISION=fp16}
     * @param smaller the last remedy: {@code serve a smaller model}
     */
    public record Subject(
            String refuser,
            String modelId,
            BaseModelConfig config,
            Compute.Precision precision,
            Device device,
            int rows,
            int seqLen,
            String precisionSetting,
            String smaller) {}

    private final boolean enabled;
    private final long runtimeBytes;
    private final OptionalLong limitOverride;
    private final Path cgroupRoot;
    private final LongSupplier machineBytes;
    private final ToLongFunction<Device> gpuFreeBytes;

    public MemoryPreflight(
            boolean enabled,
            long runtimeBytes,
            OptionalLong limitOverride,
            Path cgroupRoot,
            LongSupplier machineBytes,
            ToLongFunction<Device> gpuFreeBytes) {
        this.enabled = enabled;
        this.runtimeBytes = runtimeBytes;
        this.limitOverride = limitOverride;
        this.cgroupRoot = cgroupRoot;
        this.machineBytes = machineBytes;
        this.gpuFreeBytes = gpuFreeBytes;
    }

    /** From the {@code clinlora.memory.*} settings, this container's cgroup, this machine and its GPUs. */
    public static MemoryPreflight fromConfig(Function<String, Optional<String>> config) {
        boolean enabled = config.apply(PREFLIGHT_KEY)
                .map(s -> Boolean.parseBoolean(s.trim()))
                .orElse(true);
        long runtime = config.apply(RUNTIME_KEY)
                .filter(s -> !s.isBlank())
                .map(s -> parseSize(RUNTIME_KEY, s))
                .orElse(DEFAULT_RUNTIME_BYTES);
        OptionalLong limit = config.apply(LIMIT_KEY)
                .filter(s -> !s.isBlank())
                .map(s -> OptionalLong.of(parseSize(LIMIT_KEY, s)))
                .orElse(OptionalLong.empty());
        return new MemoryPreflight(
                enabled,
                runtime,
                limit,
                Path.of("/sys/fs/cgroup"),
                MemoryPreflight::machineMemory,
                MemoryPreflight::cudaFree);
    }

    /** A preflight that lets everything through (unit tests that build a scorer or trainer by hand). */
    public static MemoryPreflight disabled() {
        return new MemoryPreflight(
                false,
                DEFAULT_RUNTIME_BYTES,
                OptionalLong.empty(),
                Path.of("/sys/fs/cgroup"),
                MemoryPreflight::machineMemory,
                MemoryPreflight::cudaFree);
    }

    public boolean enabled() {
        return enabled;
    }

    public long runtimeBytes() {
        return runtimeBytes;
    }

    /** The estimate for serving (or running) {@code config} at {@code precision} with this process's runtime. */
    public MemoryEstimate estimate(BaseModelConfig config, Compute.Precision precision, int rows, int seqLen) {
        return MemoryEstimate.forServing(config, precision, rows, seqLen, runtimeBytes);
    }

    /** The one-line refusal when the subject does not fit; empty when it fits, or when the preflight is off. */
    public Optional<String> check(Subject s) {
        if (!enabled) return Optional.empty();
        MemoryEstimate e = estimate(s.config(), s.precision(), s.rows(), s.seqLen());
        Available host = hostAvailable();
        if (!s.device().isGpu()) {
            if (e.hostBytes() <= host.bytes()) return Optional.empty();
            return Optional.of(refusal(s, e.hostBytes(), e.describe(), "", host, remedies(s, false, host)));
        }
        OptionalLong free = gpuFree(s.device());
        if (free.isPresent() && e.deviceBytes() > free.getAsLong()) {
            Available gpu = new Available(free.getAsLong(), "the free memory of " + deviceName(s.device()));
            String parts = String.format(
                    Locale.ROOT,
                    "weights %s + activations %s + CUDA context %s",
                    MemoryEstimate.gib(e.weightBytes()),
                    MemoryEstimate.gib(e.activationBytes()),
                    MemoryEstimate.gib(MemoryEstimate.CUDA_CONTEXT_BYTES));
            return Optional.of(
                    refusal(s, e.deviceBytes(), parts, " on " + deviceName(s.device()), gpu, remedies(s, true, gpu)));
        }
        long hostNeed = e.hostBytesBesideGpu() + GPU_HOST_HEADROOM_BYTES;
        if (hostNeed <= host.bytes()) return Optional.empty();
        String parts = "runtime " + MemoryEstimate.gib(e.hostBytesBesideGpu()) + " + checkpoint in flight "
                + MemoryEstimate.gib(GPU_HOST_HEADROOM_BYTES);
        return Optional.of(
                refusal(s, hostNeed, parts, " of host memory beside the GPU", host, remedies(s, false, host)));
    }

    /**
     * The host memory there is: {@code CLINLORA_MEMORY_LIMIT} when set, else the container's cgroup limit, else the
     * machine's memory.
     */
    public Available hostAvailable() {
        if (limitOverride.isPresent())
            return new Available(limitOverride.getAsLong(), "the memory limit (" + LIMIT_ENV + ")");
        OptionalLong cgroup = cgroupLimit(cgroupRoot);
        if (cgroup.isPresent()) return new Available(cgroup.getAsLong(), "the container's memory limit");
        return new Available(machineBytes.getAsLong(), "the machine's memory");
    }

    /**
     * The memory limit of the cgroup mounted at {@code root}: v2's {@code memory.max} ({@code max}: none), else v1's
     * {@code memory/memory.limit_in_bytes} (a huge value: none); empty without a limit or a readable file.
     */
    public static OptionalLong cgroupLimit(Path root) {
        Optional<String> v2 = read(root.resolve("memory.max"));
        if (v2.isPresent()) return limitValue(v2.get());
        return read(root.resolve("memory").resolve("memory.limit_in_bytes"))
                .map(MemoryPreflight::limitValue)
                .orElse(OptionalLong.empty());
    }

    static OptionalLong limitValue(String value) {
        String v = value.trim();
        if (v.isEmpty() || v.equals("max")) return OptionalLong.empty();
        try {
            long bytes = Long.parseLong(v);
            return bytes <= 0 || bytes >= UNLIMITED ? OptionalLong.empty() : OptionalLong.of(bytes);
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * A size as Kubernetes and the JVM write them: bytes, or a number with {@code K}, {@code M}, {@code G} or {@code T}
     * (binary multiples; {@code Ki}/{@code KiB}/{@code KB} alike), e.g. {@code 8G}, {@code 1536M}, {@code 8Gi}.
     */
    public static long parseSize(String key, String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        Matcher m = SIZE.matcher(v);
        if (!m.matches())
            throw new IllegalArgumentException(
                    key + " must be a size such as 8G, 1536M or a number of bytes, got '" + value + "'");
        int shift =
                switch (m.group(2)) {
                    case "K" -> 10;
                    case "M" -> 20;
                    case "G" -> 30;
                    case "T" -> 40;
                    default -> 0;
                };
        return (long) (Double.parseDouble(m.group(1)) * (1L << shift));
    }

    /** {@code cpu}, {@code cuda:0}. */
    public static String deviceName(Device device) {
        return device.isGpu() ? "cuda:" + device.getDeviceId() : "cpu";
    }

    /** {@code 6.74 B}, {@code 110.1 M}, {@code 523 k}, {@code 12}. */
    public static String parameters(long n) {
        if (n >= 1_000_000_000L) return String.format(Locale.ROOT, "%.2f B", n / 1e9);
        if (n >= 1_000_000L) return String.format(Locale.ROOT, "%.1f M", n / 1e6);
        if (n >= 1_000L) return String.format(Locale.ROOT, "%.0f k", n / 1e3);
        return Long.toString(n);
    }

    private static String refusal(
            Subject s, long needed, String parts, String where, Available available, String remedies) {
        return String.format(
                Locale.ROOT,
                "%s: base model '%s' (%s parameters, %s on %s) needs about %s%s (%s) but %s is %s; %s",
                s.refuser(),
                s.modelId(),
                parameters(s.config().parameterCount()),
                s.precision().id(),
                deviceName(s.device()),
                MemoryEstimate.gib(needed),
                where,
                parts,
                available.what(),
                MemoryEstimate.gib(available.bytes()),
                remedies);
    }

    /** fp16 when it is fp32 (and the shortfall is the model's), more memory, a smaller model. */
    private static String remedies(Subject s, boolean onGpu, Available available) {
        List<String> r = new ArrayList<>();
        boolean modelShort = onGpu || !s.device().isGpu();
        if (modelShort && s.precision() == Compute.Precision.FP32) r.add(s.precisionSetting());
        if (onGpu) r.add("use a GPU with more free memory");
        else if (available.what().contains(LIMIT_ENV)) r.add("raise " + LIMIT_ENV);
        else r.add("raise the memory limit");
        if (modelShort) r.add(s.smaller());
        if (r.size() == 1) return r.get(0);
        return String.join(", ", r.subList(0, r.size() - 1)) + ", or " + r.get(r.size() - 1);
    }

    private OptionalLong gpuFree(Device device) {
        try {
            return OptionalLong.of(gpuFreeBytes.applyAsLong(device));
        } catch (RuntimeException | LinkageError e) {
            LOG.warning("memory preflight: cannot read the free memory of " + deviceName(device) + " ("
                    + e.getClass().getSimpleName() + "); the GPU is not checked");
            return OptionalLong.empty();
        }
    }

    /** The free memory of a CUDA device, through the CUDA runtime (DJL's {@link CudaUtils}). */
    static long cudaFree(Device device) {
        MemoryUsage m = CudaUtils.getGpuMemory(device);
        return m.getMax() - m.getCommitted();
    }

    /** The machine's physical memory (in a container the JVM already reports its limit here). */
    static long machineMemory() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    }

    private static Optional<String> read(Path file) {
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readString(file)) : Optional.empty();
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }
}
