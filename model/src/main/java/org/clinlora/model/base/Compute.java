package org.clinlora.model.base;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * Where the model runs, the dtype its base weights are held in ({@code dtype}: fp32, the tested default, or fp16) and
 * the dtype its activations are computed in ({@code computeDtype}). Trainable adapters always keep fp32 master weights
 * (see {@code LoraLinear}).
 *
 * <p>fp16 computes in fp16 on CUDA, following Hugging Face's half-precision rules. On CPU it is a storage precision:
 * the weights are held in half (half the memory) and each projection computes in fp32 from them, because CPUs without
 * AVX512-FP16 or AMX-FP16 have no fast half matmul (libtorch falls back to a scalar loop there: measured 5x slower than
 * fp32 for a classification forward on a 2-core AMD EPYC). {@link #Compute(Device, DataType, DataType)} can still ask
 * for half arithmetic on CPU (the tests use it to check CUDA's arithmetic without a GPU).
 */
public record Compute(Device device, DataType dtype, DataType computeDtype) {

    /** The default compute dtype for the device: the storage dtype, except fp16 on CPU computes in fp32. */
    public Compute(Device device, DataType dtype) {
        this(device, dtype, !device.isGpu() && dtype == DataType.FLOAT16 ? DataType.FLOAT32 : dtype);
    }

    public static final Compute CPU_FP32 = new Compute(Device.cpu(), DataType.FLOAT32);

    /**
     * The one message for bf16, wherever a precision is given. DJL 0.36's PyTorch engine has no bfloat16 scalar type:
     * creating or casting to one ends the process ({@code terminate}), so it is refused before any tensor exists.
     */
    public static final String BF16_REFUSED =
            "precision bf16 is not supported: DJL 0.36's PyTorch engine has no bfloat16 type "
                    + "(it aborts the JVM on one); use fp16 (as the paper's accelerate --mixed_precision=fp16 runs did) or fp32";

    public enum Precision {
        FP32(DataType.FLOAT32),
        FP16(DataType.FLOAT16);

        public final DataType dataType;

        Precision(DataType dataType) {
            this.dataType = dataType;
        }

        /** {@code fp32} (also the default for null) or {@code fp16}; bf16 gets {@link #BF16_REFUSED}. */
        public static Precision parse(String precision) {
            String p = precision == null ? "fp32" : precision.trim().toLowerCase(Locale.ROOT);
            return switch (p) {
                case "fp32", "float32" -> FP32;
                case "fp16", "float16" -> FP16;
                case "bf16", "bfloat16" -> throw new IllegalArgumentException(BF16_REFUSED);
                default ->
                    throw new IllegalArgumentException("precision must be fp32 or fp16, got '" + precision + "'");
            };
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The device string alone: {@code auto}, {@code cpu}, {@code cuda}, {@code gpu} or {@code cuda:N}. */
    public static String checkDevice(String device) {
        String d = device == null ? "auto" : device.toLowerCase(Locale.ROOT);
        if (!d.matches("auto|cpu|cuda|gpu|cuda:\\d{1,2}")) {
            throw new IllegalArgumentException("device must be auto, cpu, cuda or cuda:N, got '" + device + "'");
        }
        return d;
    }

    /**
     * @param device {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}; auto picks CUDA when libtorch sees a GPU
     * @param precision {@code fp32} or {@code fp16} (bf16 is refused, see {@link #BF16_REFUSED})
     */
    public static Compute parse(String device, String precision) {
        Precision p =
                Precision.parse(precision); // before the engine starts: a refused precision never touches libtorch
        Device d =
                switch (checkDevice(device)) {
                    case "auto" -> Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
                    case "cpu" -> Device.cpu();
                    case "cuda", "gpu" -> Device.gpu();
                    default -> Device.gpu(Integer.parseInt(device.substring(5)));
                };
        if (d.isGpu() && Engine.getInstance().getGpuCount() <= d.getDeviceId()) {
            throw new IllegalArgumentException("device " + device + " requested but libtorch sees "
                    + Engine.getInstance().getGpuCount()
                    + " GPU(s); see README 'CUDA' for PYTORCH_LIBRARY_PATH/PYTORCH_FLAVOR");
        }
        return new Compute(d, p.dataType);
    }

    /** Whether the base weights are held in half precision (training then recomputes layers and scales the loss). */
    public boolean half() {
        return dtype == DataType.FLOAT16;
    }
}
