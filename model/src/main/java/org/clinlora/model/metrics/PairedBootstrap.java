package org.clinlora.model.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The paired bootstrap of a difference in macro AUROC between two models scored on the same test rows: each resample
 * draws the rows with replacement (seeded), scores both models on the same draw, and takes the difference; with runs of
 * several seeds the difference is the mean over seeds of (variant − reference) for each seed's pair. Labels with one
 * class in a resample are skipped in it, as the metric skips them. The interval is the 2.5th and 97.5th percentile of
 * the resampled differences (linear interpolation, as numpy's default); the same inputs, resamples and seed give the
 * same interval bit for bit.
 */
public final class PairedBootstrap {
    /**
     * {@code observed}: the difference on the rows as they are; {@code shareAtOrBelowZero}: resamples with a difference
     * ≤ 0.
     */
    public record Interval(
            double observed, double low, double high, double shareAtOrBelowZero, int resamples, long seed) {
        public boolean excludesZero() {
            return low > 0 || high < 0;
        }
    }

    private PairedBootstrap() {}

    /**
     * {@code variant.get(s)} and {@code reference.get(s)} are the same seed's runs; every run covers the same rows in
     * the same order.
     */
    public static Interval difference(
            List<Predictions> variant, List<Predictions> reference, int resamples, long seed) {
        if (variant.isEmpty() || variant.size() != reference.size())
            throw new IllegalArgumentException("one reference run per variant run (same seeds)");
        Predictions first = reference.get(0);
        for (Predictions p : concat(variant, reference)) {
            if (p.rows() != first.rows()
                    || !Arrays.deepEquals(p.truth(), first.truth())
                    || (first.ids() != null && !first.ids().equals(p.ids()))) {
                throw new IllegalArgumentException(
                        "the runs compared must be scored on the same rows in the same order");
            }
        }
        if (resamples < 1) throw new IllegalArgumentException("resamples must be >= 1");
        int n = first.rows();
        int[][] counts = new int[resamples + 1][n];
        Arrays.fill(counts[0], 1); // resample 0: the rows as they are
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int r = 1; r <= resamples; r++) for (int i = 0; i < n; i++) counts[r][rnd.nextInt(n)]++;
        List<Predictions> runs = concat(variant, reference);
        // Each run's macro AUROC per resample; runs are independent, so they go in parallel without changing a bit.
        double[][] macro = IntStream.range(0, runs.size())
                .parallel()
                .mapToObj(k -> macroAuroc(runs.get(k), counts))
                .toArray(double[][]::new);
        int s = variant.size();
        double[] diff = new double[resamples + 1];
        for (int r = 0; r <= resamples; r++) {
            double d = 0;
            for (int k = 0; k < s; k++) d += macro[k][r] - macro[s + k][r];
            diff[r] = d / s;
        }
        double[] sorted = Arrays.copyOfRange(diff, 1, resamples + 1);
        Arrays.sort(sorted);
        long atOrBelow = Arrays.stream(sorted).filter(x -> x <= 0).count();
        return new Interval(
                diff[0],
                percentile(sorted, 0.025),
                percentile(sorted, 0.975),
                (double) atOrBelow / resamples,
                resamples,
                seed);
    }

    private static List<Predictions> concat(List<Predictions> a, List<Predictions> b) {
        List<Predictions> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** Macro AUROC of one run under each row weighting (weighted Mann–Whitney per label, ties counting half). */
    static double[] macroAuroc(Predictions p, int[][] counts) {
        int n = p.rows(), c = p.labelNames().size(), resamples = counts.length;
        double[] sum = new double[resamples];
        int[] scored = new int[resamples];
        Integer[] order = new Integer[n];
        double[] scores = new double[n];
        for (int j = 0; j < c; j++) {
            for (int i = 0; i < n; i++) {
                order[i] = i;
                scores[i] = p.probabilities()[i][j];
            }
            Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
            int[] groupEnd = new int[n]; // for the first row of each tie group, one past its last
            for (int i = 0; i < n; ) {
                int k = i;
                while (k + 1 < n && scores[order[k + 1]] == scores[order[i]]) k++;
                groupEnd[i] = k + 1;
                i = k + 1;
            }
            for (int r = 0; r < resamples; r++) {
                int[] w = counts[r];
                double negBelow = 0, pairs = 0, pos = 0;
                for (int i = 0; i < n; i = groupEnd[i]) {
                    double gp = 0, gn = 0;
                    for (int k = i; k < groupEnd[i]; k++) {
                        int row = order[k];
                        if (p.truth()[row][j]) gp += w[row];
                        else gn += w[row];
                    }
                    pairs += gp * (negBelow + 0.5 * gn);
                    negBelow += gn;
                    pos += gp;
                }
                if (pos > 0 && negBelow > 0) {
                    sum[r] += pairs / (pos * negBelow);
                    scored[r]++;
                }
            }
        }
        double[] out = new double[resamples];
        for (int r = 0; r < resamples; r++) out[r] = scored[r] == 0 ? Double.NaN : sum[r] / scored[r];
        return out;
    }

    static double percentile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
