package org.clinlora.model.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.data.TokenDataset;

/** Micro-batches of the train split in the seeded order, addressable by micro-step (so a resumed run skips ahead). */
final class TrainingBatches {
    /** {@code ids}: the rows' source ids where the dataset has them (classification), else nulls. */
    record Batch(TokenBatch tokens, int[] lengths, long[] classes, float[] multiHot, String[] ids) {
        long tokenCount() {
            long n = 0;
            for (int l : lengths) n += l;
            return n;
        }

        /** Rows [from, to) as a batch of their own (a data-parallel part). */
        Batch rows(int from, int to) {
            int c = multiHot == null ? 0 : multiHot.length / lengths.length;
            return new Batch(
                    tokens.rows(from, to),
                    Arrays.copyOfRange(lengths, from, to),
                    classes == null ? null : Arrays.copyOfRange(classes, from, to),
                    multiHot == null ? null : Arrays.copyOfRange(multiHot, from * c, to * c),
                    Arrays.copyOfRange(ids, from, to));
        }

        /** What the loss averages over: predicted tokens (each row's length - 1) for causal LM, rows otherwise. */
        long items(boolean causalLm) {
            if (!causalLm) return lengths.length;
            long n = 0;
            for (int l : lengths) n += l - 1;
            return n;
        }
    }

    /**
     * The items of the accumulation window that starts at micro-step {@code first}: the denominator of each share. Only
     * the rows' lengths are read; no batch is assembled.
     */
    long windowItems(long first, int accumulation, boolean causalLm) {
        if (!causalLm) return (long) accumulation * batchSize;
        long n = 0;
        for (long m = first; m < first + accumulation; m++) {
            for (int[] ref : refs(m)) n += rows(train.get(ref[0])).lengths()[ref[1]] - 1;
        }
        return n;
    }

    private final TokenDataset data;
    private final int batchSize;
    private final long seed;
    private final List<TokenDataset.Shard> train;
    private final long rows;
    private int cachedEpoch = -1;
    private int[][] order; // [position] -> {shard, row}
    private final Map<TokenDataset.Shard, TokenDataset.Rows> loaded = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<TokenDataset.Shard, TokenDataset.Rows> e) {
            return size() > 2;
        }
    };

    TrainingBatches(TokenDataset data, int batchSize, long seed) {
        this.data = data;
        this.batchSize = batchSize;
        this.seed = seed;
        this.train = data.shards("train");
        this.rows = data.rows("train");
    }

    Batch batch(long microStep) {
        return assemble(train, refs(microStep));
    }

    /** Which {shard, row} each row of the micro-batch is, in the seeded order. */
    private int[][] refs(long microStep) {
        int[][] refs = new int[batchSize][];
        for (int i = 0; i < batchSize; i++) {
            long p = microStep * batchSize + i;
            refs[i] = epochOrder((int) (p / rows))[(int) (p % rows)];
        }
        return refs;
    }

    /** Every row of the splits once, in stored order (evaluation). */
    List<Batch> inOrder(List<String> splits) {
        List<TokenDataset.Shard> shards = new ArrayList<>();
        for (String split : splits) shards.addAll(data.shards(split));
        List<int[]> all = new ArrayList<>();
        for (int s = 0; s < shards.size(); s++)
            for (int r = 0; r < shards.get(s).rows(); r++) all.add(new int[] {s, r});
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i += batchSize)
            out.add(assemble(
                    shards, all.subList(i, Math.min(all.size(), i + batchSize)).toArray(int[][]::new)));
        return out;
    }

    private int[][] epochOrder(int epoch) {
        if (epoch == cachedEpoch) return order;
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        int[] shardOrder = permutation(train.size(), rnd);
        int[][] o = new int[(int) rows][];
        int k = 0;
        for (int s : shardOrder) {
            for (int r : permutation(train.get(s).rows(), rnd.split())) o[k++] = new int[] {s, r};
        }
        cachedEpoch = epoch;
        order = o;
        return o;
    }

    private static int[] permutation(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private Batch assemble(List<TokenDataset.Shard> shards, int[][] refs) {
        int b = refs.length, l = data.seqLen(), c = data.labelNames().size();
        long[] ids = new long[b * l], mask = new long[b * l];
        int[] lengths = new int[b];
        String[] rowIds = new String[b];
        long[] classes = data.multilabel() || data.causalLm() ? null : new long[b];
        float[] hot = data.multilabel() ? new float[b * c] : null;
        for (int i = 0; i < b; i++) {
            TokenDataset.Rows rs = rows(shards.get(refs[i][0]));
            int row = refs[i][1];
            lengths[i] = rs.lengths()[row];
            rowIds[i] = rs.ids() == null ? null : rs.ids().get(row);
            for (int t = 0; t < l; t++) {
                ids[i * l + t] = rs.inputIds()[row * l + t];
                mask[i * l + t] = t < lengths[i] ? 1 : 0;
            }
            if (classes != null) classes[i] = rs.classes()[row];
            if (hot != null) System.arraycopy(rs.multiHot(), row * c, hot, i * c, c);
        }
        return new Batch(new TokenBatch(b, l, ids, mask), lengths, classes, hot, rowIds);
    }

    private TokenDataset.Rows rows(TokenDataset.Shard shard) {
        TokenDataset.Rows r = loaded.get(shard);
        if (r == null) {
            try {
                r = data.load(shard);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            loaded.put(shard, r);
        }
        return r;
    }
}
