/*
 * libtorch's CPU build links Intel oneMKL statically and exports its CPU-vendor checks. On a non-Intel CPU that has
 * AVX-512 (AMD Zen 4/5), oneMKL then runs its AVX2 sgemm kernels: measured on a 2-core Zen 5, a 2048x2048 fp32
 * matmul gives ~170 GFLOP/s instead of ~400. Preloading this library (LD_PRELOAD, see ../lib.sh) makes the vendor
 * check answer "Intel", so oneMKL dispatches on the CPU's feature bits alone (which it still reads from CPUID: no
 * instruction the CPU lacks is ever chosen). Nothing else in the process is affected.
 */
int mkl_serv_intel_cpu_true(void) { return 1; }
int mkl_serv_intel_cpu(void) { return 1; }
