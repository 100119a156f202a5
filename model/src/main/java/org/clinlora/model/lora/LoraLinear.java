package org.clinlora.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.clinlora.model.base.InPlace;
import org.clinlora.model.base.StepContext;

/**
 * A frozen projection ({@code weight} [out, in], and a {@code bias} [out] in BERT's Linear layers) wrapped with any
 * number of LoRA adapters held by name, as PEFT's {@code lora.Linear} does: {@code y = x Wᵀ + Σ_active scaling ·
 * B(A(dropout(x)))}. Several active adapters add their deltas (the paper's Clinical + Downstream fusion). The base
 * weight is shared by every adapter and is never copied; merging adds an adapter's delta into it in place.
 */
public final class LoraLinear {

    private final String name;
    private final NDArray weight;
    private final NDArray bias;
    private final Map<String, LoraWeights> adapters = new LinkedHashMap<>();
    private final Set<String> merged = new HashSet<>();

    public LoraLinear(String name, NDArray weight) {
        this(name, weight, null);
    }

    public LoraLinear(String name, NDArray weight, NDArray bias) {
        this.name = name;
        this.weight = weight;
        this.bias = bias;
    }

    /** The module path in Hugging Face names, e.g. {@code model.layers.0.self_attn.q_proj}. */
    public String name() {
        return name;
    }

    public NDArray weight() {
        return weight;
    }

    /** The base layer's bias, or null (LLaMA's projections have none). */
    public NDArray bias() {
        return bias;
    }

    public long inFeatures() {
        return weight.getShape().get(1);
    }

    public long outFeatures() {
        return weight.getShape().get(0);
    }

    public Map<String, LoraWeights> adapters() {
        return adapters;
    }

    void add(String adapter, LoraWeights w) {
        if (adapters.containsKey(adapter))
            throw new IllegalStateException(name + " already holds adapter '" + adapter + "'");
        adapters.put(adapter, w);
    }

    void remove(String adapter) {
        if (merged.contains(adapter)) unmerge(adapter);
        adapters.remove(adapter);
    }

    /**
     * {@code y = x Wᵀ + Σ_active scaling · B(A(dropout(x)))}, each delta on the rows {@code active} assigns it.
     *
     * <p>Precision as PEFT: adapters hold fp32 weights; with a half-precision base, x is cast to the adapters' dtype,
     * the deltas are added to the base output in fp32 and the sum is cast back to x's dtype. A base held in half and
     * computed in fp32 (the layer recomputation of training) casts its weight for this call only.
     */
    public NDArray forward(StepContext ctx, NDArray x, ActiveAdapters active) {
        DataType dtype = x.getDataType();
        NDArray y = castsInBlocks(dtype) ? productInBlocks(ctx, x, dtype) : product(ctx, x, dtype);
        boolean anyDelta = false;
        for (String a : active.names()) anyDelta |= adapters.containsKey(a) && !merged.contains(a);
        if (!anyDelta) return y;
        if (dtype != DataType.FLOAT32 && JniUtils.isGradMode()) {
            throw new IllegalStateException(name
                    + ": a half-precision forward with a graph; half bases train through LlamaModel.backwardByLayer");
        }
        NDArray xa = dtype == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray sum = deltas(ctx, xa, dtype == DataType.FLOAT32 ? y : y.toType(DataType.FLOAT32, false), active);
        return sum.getDataType() == dtype ? sum : sum.toType(dtype, false);
    }

    /** {@code x Wᵀ (+ bias)}, the weight cast to x's dtype for this call only when it is held in another. */
    private NDArray product(StepContext ctx, NDArray x, DataType dtype) {
        NDArray w = weight.getDataType() == dtype ? weight : weight.toType(dtype, false);
        if (w != weight) w.attach(ctx.manager()); // the cast would otherwise belong to the model for good
        NDArray y;
        if (bias == null) {
            y = Linear.linear(x, w).singletonOrThrow();
        } else {
            NDArray b = bias.getDataType() == dtype ? bias : bias.toType(dtype, false);
            if (b != bias) b.attach(ctx.manager());
            y = Linear.linear(x, w, b).singletonOrThrow();
        }
        if (w != weight && !JniUtils.isGradMode()) w.close(); // under a graph, backward holds it until the step closes
        return y;
    }

    /**
     * Output rows of a half weight cast to fp32 per block of about 4 M elements (16 MiB, within the last-level cache),
     * each multiplied at once while still in cache. Cast whole, an 11008 x 4096 weight is 180 MB of fp32: above glibc's
     * mmap threshold, so every call faulted in fresh pages, wrote them and read them back (docs/SCALE.md).
     */
    static final long CAST_BLOCK_ELEMENTS = 1L << 22;

    /** Whether this call casts its weight block by block: a cast (a half base on CPU) of a large weight. */
    private boolean castsInBlocks(DataType dtype) {
        return weight.getDataType() != dtype && bias == null && weight.size() >= 2 * CAST_BLOCK_ELEMENTS;
    }

    private NDArray productInBlocks(StepContext ctx, NDArray x, DataType dtype) {
        long out = outFeatures();
        // Whole multiples of 64 rows: the matmul kernels' tile width, so no block ends in a ragged tile.
        long rows = Math.max(64, CAST_BLOCK_ELEMENTS / inFeatures() / 64 * 64);
        // Without a graph each block is freed once used; under one, backward reads the blocks until the step closes.
        boolean graph = JniUtils.isGradMode();
        try (NDManager scratch = ctx.manager().newSubManager()) {
            NDManager owner = graph ? ctx.manager() : scratch;
            NDList parts = new NDList();
            for (long from = 0; from < out; from += rows) {
                NDArray block = weight.get(new NDIndex("{}:{}", from, Math.min(out, from + rows))); // a view
                block.attach(owner);
                NDArray cast = block.toType(dtype, false);
                cast.attach(owner);
                NDArray part = Linear.linear(x, cast).singletonOrThrow();
                part.attach(scratch);
                if (!graph) cast.close();
                parts.add(part);
            }
            NDArray y = NDArrays.concat(parts, -1);
            y.attach(ctx.manager());
            return y;
        }
    }

    private NDArray deltas(StepContext ctx, NDArray x, NDArray y, ActiveAdapters active) {
        List<int[]> ranged = new ArrayList<>(); // {start, end, index into active.names()}
        for (int i = 0; i < active.names().size(); i++) {
            String a = active.names().get(i);
            LoraWeights w = adapters.get(a);
            if (w == null || merged.contains(a)) continue;
            int[] r = active.range(a);
            if (r != null) {
                ranged.add(new int[] {r[0], r[1], i});
                continue;
            }
            NDArray rows = active.mask(a);
            NDArray delta = delta(ctx, x, w);
            y = InPlace.add(
                    y,
                    rows == null
                            ? delta
                            : InPlace.mul(
                                    delta,
                                    rows.getDataType() == delta.getDataType()
                                            ? rows
                                            : rows.toType(delta.getDataType(), false)));
        }
        if (ranged.isEmpty()) return y;
        // Adapters on disjoint row ranges (one task adapter per row group) share one full-batch add: their deltas, each
        // computed on its own rows only, are laid end to end with zeros for rows they do not cover.
        ranged.sort(Comparator.comparingInt(r -> r[0]));
        List<List<int[]>> layers = new ArrayList<>();
        for (int[] r : ranged) {
            List<int[]> target = null;
            for (List<int[]> l : layers)
                if (l.get(l.size() - 1)[1] <= r[0]) {
                    target = l;
                    break;
                }
            if (target == null) layers.add(target = new ArrayList<>());
            target.add(r);
        }
        long b = x.getShape().get(0);
        for (List<int[]> layer : layers) {
            NDList pieces = new NDList();
            long pos = 0;
            for (int[] r : layer) {
                if (r[0] > pos) pieces.add(zerosLike(ctx, y, r[0] - pos));
                NDArray rows = x.get(new NDIndex(r[0] + ":" + r[1]));
                pieces.add(delta(ctx, rows, adapters.get(active.names().get(r[2]))));
                pos = r[1];
            }
            if (pos < b) pieces.add(zerosLike(ctx, y, b - pos));
            y = InPlace.add(y, pieces.size() == 1 ? pieces.singletonOrThrow() : NDArrays.concat(pieces, 0));
        }
        return y;
    }

    private static NDArray zerosLike(StepContext ctx, NDArray y, long rows) {
        long[] shape = y.getShape().getShape().clone();
        shape[0] = rows;
        return ctx.manager().zeros(new Shape(shape), y.getDataType(), y.getDevice());
    }

    /** {@code scaling · B(A(dropout(x)))} for one adapter, in the adapter's (fp32) dtype. */
    private static NDArray delta(StepContext ctx, NDArray x, LoraWeights w) {
        NDArray h = ctx.dropout(x, w.dropout());
        // scaling · B(A h) as B(scaling · A h): the same product, scaled at rank r rather than at out_features
        NDArray ah = Linear.linear(h, w.loraA(ctx)).singletonOrThrow();
        return Linear.linear(InPlace.mul(ah, ctx.scalar(w.scaling(), ah.getDataType())), w.loraB(ctx))
                .singletonOrThrow();
    }

    /** Adds {@code scaling · B A} of the adapter into the base weight; its forward then costs nothing extra. */
    public void merge(String adapter) {
        LoraWeights w = require(adapter);
        if (merged.contains(adapter)) return;
        try (NDArray delta = delta(w)) { // first, so that a refused merge leaves nothing marked
            weight.addi(delta);
        }
        merged.add(adapter);
    }

    /** Subtracts what {@link #merge} added (exact up to float rounding, as in PEFT). */
    public void unmerge(String adapter) {
        LoraWeights w = require(adapter);
        if (!merged.contains(adapter)) return;
        try (NDArray delta = delta(w)) {
            weight.subi(delta);
        }
        merged.remove(adapter);
    }

    private NDArray delta(LoraWeights w) {
        if (JniUtils.isGradMode()) {
            throw new IllegalStateException("merge/unmerge inside a gradient collector");
        }
        NDArray ba = w.loraB().matMul(w.loraA());
        NDArray scaled = ba.mul(w.scaling());
        ba.close();
        return scaled;
    }

    private LoraWeights require(String adapter) {
        LoraWeights w = adapters.get(adapter);
        if (w == null) throw new IllegalArgumentException(name + " holds no adapter '" + adapter + "'");
        return w;
    }
}
