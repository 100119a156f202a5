package org.clinlora.model.llama;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * Where and in which precision the model computes. CPU fp32 is the tested default; bf16/fp16 are for CUDA only
 * (fp16 matmul on CPU is ~100x slower than fp32, and DJL 0.36 aborts the JVM on CPU BF16 arrays).
 */
public record Compute(Device device, DataType dtype) {

    public static final Compute CPU_FP32 = new Compute(Device.cpu(), DataType.FLOAT32);

    public enum Precision {
        FP32(DataType.FLOAT32), BF16(DataType.BFLOAT16), FP16(DataType.FLOAT16);

        public final DataType dataType;

        Precision(DataType dataType) {
            this.dataType = dataType;
        }
    }

    /**
     * @param device    {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}; auto picks CUDA when libtorch sees a GPU
     * @param precision {@code fp32}, {@code bf16} or {@code fp16}
     */
    public static Compute parse(String device, String precision) {
        Device d = switch (device == null ? "auto" : device.toLowerCase(Locale.ROOT)) {
            case "auto" -> Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
            case "cpu" -> Device.cpu();
            case "cuda", "gpu" -> Device.gpu();
            default -> {
                String s = device.toLowerCase(Locale.ROOT);
                if (s.matches("cuda:\\d{1,2}")) yield Device.gpu(Integer.parseInt(s.substring(5)));
                throw new IllegalArgumentException("device must be auto, cpu, cuda or cuda:N, got '" + device + "'");
            }
        };
        Precision p;
        try {
            p = Precision.valueOf((precision == null ? "fp32" : precision).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("precision must be fp32, bf16 or fp16, got '" + precision + "'");
        }
        if (p != Precision.FP32 && !d.isGpu()) {
            throw new IllegalArgumentException("precision " + p.name().toLowerCase(Locale.ROOT) + " needs a CUDA device; CPU computes in fp32");
        }
        if (d.isGpu() && Engine.getInstance().getGpuCount() <= d.getDeviceId()) {
            throw new IllegalArgumentException("device " + device + " requested but libtorch sees "
                    + Engine.getInstance().getGpuCount() + " GPU(s); see README 'CUDA' for PYTORCH_LIBRARY_PATH/PYTORCH_FLAVOR");
        }
        return new Compute(d, p.dataType);
    }
}
