package org.clinlora.model.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The paired bootstrap of a difference in macro AUROC between two models scored on the same test rows: each resample
 * draws the rows with replacement (seeded), scores both models on the same draw, and takes the difference; with runs of
 * several seeds the difference is the mean over seeds of (variant − reference) for each seed's pair. Labels with one
 * class in a resample (one-vs-one: pairs with a class absent from it) are skipped in it, as the metric skips them. The
 * interval is the 2.5th and 97.5th percentile of the resampled differences (linear interpolation, as numpy's default);
 * the same inputs, resamples and seed give the same interval bit for bit.
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
     * The difference with a multiclass task's AUROC one-vs-rest, this library's historical value;
     * {@code variant.get(s)} and {@code reference.get(s)} are the same seed's runs; every run covers the same rows in
     * the same order.
     */
    public static Interval difference(
            List<Predictions> variant, List<Predictions> reference, int resamples, long seed) {
        return difference(variant, reference, resamples, seed, MulticlassAuroc.OVR);
    }

    /**
     * The difference with a multiclass task's AUROC averaged as {@code mode} says: with {@link MulticlassAuroc#OVO} and
     * more than two classes, each resample's value is the one-vs-one macro AUROC ({@link Auroc#oneVsOne}) under that
     * resample's row weights, a pair being skipped where one of its classes has no weight; a row with no true class is
     * in no pair. The paper's code reports one-vs-one, so an experiment that does compares it the same way.
     */
    public static Interval difference(
            List<Predictions> variant, List<Predictions> reference, int resamples, long seed, MulticlassAuroc mode) {
        Objects.requireNonNull(mode, "mode");
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
                .mapToObj(k -> macroAuroc(runs.get(k), counts, mode))
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

    /** Macro AUROC of one run under each row weighting, a multiclass task's averaged as {@code mode} says. */
    static double[] macroAuroc(Predictions p, int[][] counts, MulticlassAuroc mode) {
        boolean ovo =
                mode == MulticlassAuroc.OVO && p.multiclass() && p.labelNames().size() > 2;
        return ovo ? oneVsOne(p, counts) : oneVsRest(p, counts);
    }

    /** The mean over labels of each label's AUROC against all other rows. */
    private static double[] oneVsRest(Predictions p, int[][] counts) {
        int n = p.rows(), c = p.labelNames().size();
        boolean[] everyRow = new boolean[n];
        Arrays.fill(everyRow, true);
        MacroMean mean = new MacroMean(counts.length);
        for (int j = 0; j < c; j++) {
            boolean[] positive = new boolean[n];
            for (int i = 0; i < n; i++) positive[i] = p.truth()[i][j];
            mean.add(weightedAuroc(ScoreOrder.of(p.probabilities(), j), positive, everyRow, counts));
        }
        return mean.values();
    }

    /**
     * The mean over pairs of classes of the two pairwise AUROCs (as {@link Auroc#oneVsOne}); a pair with a class that
     * has no weight in a resample is skipped in it. Each column is sorted once and its order serves every pair.
     */
    private static double[] oneVsOne(Predictions p, int[][] counts) {
        int n = p.rows(), k = p.labelNames().size(), resamples = counts.length;
        int[] classes = ClassificationMetrics.classIndices(p.truth());
        ScoreOrder[] columns = new ScoreOrder[k];
        for (int c = 0; c < k; c++) columns[c] = ScoreOrder.of(p.probabilities(), c);
        MacroMean mean = new MacroMean(resamples);
        for (int a = 0; a < k; a++) {
            for (int b = a + 1; b < k; b++) {
                boolean[] inPair = new boolean[n], isA = new boolean[n], isB = new boolean[n];
                for (int i = 0; i < n; i++) {
                    isA[i] = classes[i] == a;
                    isB[i] = classes[i] == b;
                    inPair[i] = isA[i] || isB[i];
                }
                double[] ab = weightedAuroc(columns[a], isA, inPair, counts);
                double[] ba = weightedAuroc(columns[b], isB, inPair, counts);
                double[] pair = new double[resamples];
                for (int r = 0; r < resamples; r++) pair[r] = (ab[r] + ba[r]) / 2; // NaN when a or b is absent
                mean.add(pair);
            }
        }
        return mean.values();
    }

    /**
     * The AUROC of one score column on the {@code included} rows, {@code positive} rows against the others, under each
     * row weighting (weighted Mann–Whitney, ties counting half); NaN where either side has no weight.
     */
    static double[] weightedAuroc(ScoreOrder column, boolean[] positive, boolean[] included, int[][] counts) {
        int[] rows = column.among(included);
        int m = rows.length;
        int[] groupEnd = new int[m]; // for the first row of each tie group, one past its last
        for (int i = 0; i < m; ) {
            int k = i;
            while (k + 1 < m && column.scores()[rows[k + 1]] == column.scores()[rows[i]]) k++;
            groupEnd[i] = k + 1;
            i = k + 1;
        }
        double[] out = new double[counts.length];
        for (int r = 0; r < counts.length; r++) {
            int[] w = counts[r];
            double negBelow = 0, pairs = 0, pos = 0;
            for (int i = 0; i < m; i = groupEnd[i]) {
                double gp = 0, gn = 0;
                for (int k = i; k < groupEnd[i]; k++) {
                    int row = rows[k];
                    if (positive[row]) gp += w[row];
                    else gn += w[row];
                }
                pairs += gp * (negBelow + 0.5 * gn);
                negBelow += gn;
                pos += gp;
            }
            out[r] = pos > 0 && negBelow > 0 ? pairs / (pos * negBelow) : Double.NaN;
        }
        return out;
    }

    /** One score column and its rows in ascending score order, sorted once and shared by every AUROC of the column. */
    record ScoreOrder(double[] scores, int[] order) {
        static ScoreOrder of(double[][] probabilities, int column) {
            int n = probabilities.length;
            double[] scores = new double[n];
            Integer[] boxed = new Integer[n];
            for (int i = 0; i < n; i++) {
                scores[i] = probabilities[i][column];
                boxed[i] = i;
            }
            Arrays.sort(boxed, (a, b) -> Double.compare(scores[a], scores[b]));
            return new ScoreOrder(
                    scores, Arrays.stream(boxed).mapToInt(Integer::intValue).toArray());
        }

        /** The {@code included} rows, still in score order. */
        int[] among(boolean[] included) {
            return Arrays.stream(order).filter(row -> included[row]).toArray();
        }
    }

    /** Per resample, the mean of the values that are not NaN (labels or pairs scored), NaN where none is. */
    private static final class MacroMean {
        private final double[] sum;
        private final int[] scored;

        MacroMean(int resamples) {
            sum = new double[resamples];
            scored = new int[resamples];
        }

        void add(double[] values) {
            for (int r = 0; r < sum.length; r++) {
                if (Double.isNaN(values[r])) continue;
                sum[r] += values[r];
                scored[r]++;
            }
        }

        double[] values() {
            double[] out = new double[sum.length];
            for (int r = 0; r < sum.length; r++) out[r] = scored[r] == 0 ? Double.NaN : sum[r] / scored[r];
            return out;
        }
    }

    static double percentile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
