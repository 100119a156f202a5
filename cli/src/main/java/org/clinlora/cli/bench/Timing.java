package org.clinlora.cli.bench;

import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** How every bench times: warm-up steps, then each timed step on its own, and the median of them. */
final class Timing {
    private Timing() {}

    /**
     * Seconds of each timed step, and the minor page faults per step meanwhile (fresh memory is costly on these VMs).
     */
    record Timed(double[] seconds, double minorFaultsPerStep, int warmupSteps) {}

    /**
     * The least time warm-up takes, whatever the steps: the JVM compiles the step's Java code in its first seconds, on
     * the cores the step computes on (3 warm-up steps of the tiny forward, 0.2 s, left its median 15-20 % below the
     * steady state on 2 cores, 2026-12-07).
     */
    static final double WARMUP_SECONDS = 2.0;

    /**
     * The least time the timed steps take, whatever their count: a median of ten 60 ms steps (the tiny forward) moved
     * by 15 % from run to run on a 2-core VM whose neighbours come and go; over three seconds it moves less.
     */
    static final double TIMED_SECONDS = 3.0;

    /**
     * Runs warm-up steps (at least {@code warmup}, and at least {@link #WARMUP_SECONDS}), then times each step (at
     * least {@code steps}, and at least {@link #TIMED_SECONDS}); with a profile file, libtorch records the timed steps'
     * ops there.
     */
    static Timed time(int warmup, int steps, Path profile, Runnable step) {
        int warmed = 0;
        long w0 = System.nanoTime();
        while (warmed < warmup || (warmup > 0 && secondsSince(w0) < WARMUP_SECONDS)) {
            step.run();
            warmed++;
        }
        if (profile != null) JniUtils.startProfile(false, true, false);
        long faults = ProcStatus.minorFaults();
        List<Double> t = new ArrayList<>();
        long timed0 = System.nanoTime();
        while (t.size() < steps || secondsSince(timed0) < TIMED_SECONDS) {
            long t0 = System.nanoTime();
            step.run();
            t.add(secondsSince(t0));
        }
        double faultsPerStep = (ProcStatus.minorFaults() - faults) / (double) t.size();
        if (profile != null) {
            JniUtils.stopProfile(profile.toAbsolutePath().toString());
            System.out.println("profile of the timed steps (Chrome trace): " + profile.toAbsolutePath());
        }
        return new Timed(t.stream().mapToDouble(Double::doubleValue).toArray(), faultsPerStep, warmed);
    }

    /** The median of timed steps, shared by every bench. */
    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Seconds since {@code t0}, a {@link System#nanoTime()} reading. */
    static double secondsSince(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
