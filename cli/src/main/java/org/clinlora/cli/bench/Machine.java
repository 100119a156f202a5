package org.clinlora.cli.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.CpuDataParallel;

/** What a bench prints about the machine it ran on: CPU, engine and threads, and the fp32 matmul peak measured now. */
final class Machine {
    private Machine() {}

    /** fp32 matmul throughput of this machine, measured now (the denominator of MFU). */
    static double matmulPeak(Compute compute) {
        int n = 2048;
        try (NDManager m = NDManager.newBaseManager(compute.device())) {
            NDArray a = m.randomNormal(new Shape(n, n)), b = m.randomNormal(new Shape(n, n));
            double[] t = Timing.time(3, 10, null, () -> {
                        try (NDArray c = a.matMul(b)) {
                            c.getFloat(0, 0); // waits for the result (CUDA is asynchronous)
                        }
                    })
                    .seconds();
            return 2.0 * n * n * n / Timing.median(t) / 1e9;
        }
    }

    static String environment(Compute compute) {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse(cpu);
        } catch (IOException | RuntimeException ignored) {
            // not Linux: the CPU name is only informative
        }
        return String.format(
                "environment: %s, %d cores visible; libtorch %s via DJL %s on %s %s (computed in %s), intra-op threads %d, "
                        + "interop threads %d, data-parallel workers %d; OMP_WAIT_POLICY=%s GLIBC_TUNABLES=%s; oneMKL vendor shim %s; Java %s",
                cpu,
                Runtime.getRuntime().availableProcessors(),
                Engine.getInstance().getVersion(),
                Engine.getDjlVersion(),
                compute.device(),
                compute.dtype(),
                compute.computeDtype(),
                JniUtils.getNumThreads(),
                JniUtils.getNumInteropThreads(),
                compute.device().isGpu() ? 1 : CpuDataParallel.workers(),
                System.getenv("OMP_WAIT_POLICY"),
                System.getenv("GLIBC_TUNABLES"),
                mklVendorShim(),
                System.getProperty("java.version"));
    }

    /** Whether the launcher preloaded infra/native/mkl-vendor-shim.c (oneMKL's AVX-512 kernels on a non-Intel CPU). */
    static String mklVendorShim() {
        String preload = System.getenv("LD_PRELOAD");
        return preload != null && preload.contains("mkl-vendor-shim") ? "on" : "off";
    }
}
