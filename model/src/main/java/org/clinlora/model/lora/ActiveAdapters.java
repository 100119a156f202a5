package org.clinlora.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.clinlora.model.base.StepContext;

/**
 * Which adapters a forward pass applies, and to which rows. The common case is one stack for the whole batch (training,
 * the paper's fused Clinical + Downstream LoRA). A scorer batches rows for different tasks together: each row has its
 * own stack. When the rows that use an adapter are contiguous (a scorer sorts its rows by stack, which makes every
 * adapter's rows one range), the delta is computed on that slice only, so a batch mixing many adapters costs about what
 * a batch with one does; otherwise the delta is computed for every row and multiplied by a [B, 1, 1] 0/1 mask.
 */
public final class ActiveAdapters {
    private final List<String> names;
    private final Map<String, NDArray> rowMasks;
    private final Map<String, int[]> rowRanges;

    private ActiveAdapters(List<String> names, Map<String, NDArray> rowMasks, Map<String, int[]> rowRanges) {
        this.names = names;
        this.rowMasks = rowMasks;
        this.rowRanges = rowRanges;
    }

    /** The same stack on every row. */
    public static ActiveAdapters all(List<String> names) {
        return new ActiveAdapters(List.copyOf(names), Map.of(), Map.of());
    }

    /** Row {@code i} applies {@code stacks.get(i)}; masks live in the step. */
    public static ActiveAdapters perRow(StepContext ctx, List<List<String>> stacks) {
        LinkedHashSet<String> union = new LinkedHashSet<>();
        stacks.forEach(union::addAll);
        Map<String, NDArray> masks = new LinkedHashMap<>();
        Map<String, int[]> ranges = new LinkedHashMap<>();
        int b = stacks.size();
        for (String name : union) {
            float[] m = new float[b];
            int first = -1, last = -1, count = 0;
            for (int i = 0; i < b; i++) {
                if (!stacks.get(i).contains(name)) continue;
                m[i] = 1f;
                if (first < 0) first = i;
                last = i;
                count++;
            }
            if (count == b) continue; // every row
            if (last - first + 1 == count) ranges.put(name, new int[] {first, last + 1});
            else masks.put(name, ctx.manager().create(m, new Shape(b, 1, 1)).toType(ctx.dtype(), false));
        }
        return new ActiveAdapters(new ArrayList<>(union), masks, ranges);
    }

    /**
     * The same assignment for rows [from, to) alone, numbered from 0 (a data-parallel part): adapters with no row there
     * are left out, ranges are clipped and masks sliced (views, in the step that owns the masks).
     */
    public ActiveAdapters rows(int from, int to) {
        if (rowMasks.isEmpty() && rowRanges.isEmpty()) return this;
        List<String> kept = new ArrayList<>();
        Map<String, NDArray> masks = new LinkedHashMap<>();
        Map<String, int[]> ranges = new LinkedHashMap<>();
        for (String name : names) {
            int[] r = rowRanges.get(name);
            NDArray m = rowMasks.get(name);
            if (r != null) {
                int start = Math.max(r[0], from), end = Math.min(r[1], to);
                if (start >= end) continue;
                if (start > from || end < to) ranges.put(name, new int[] {start - from, end - from});
            } else if (m != null) {
                masks.put(name, m.get(from + ":" + to));
            }
            kept.add(name);
        }
        return new ActiveAdapters(kept, masks, ranges);
    }

    public List<String> names() {
        return names;
    }

    /** The rows this adapter applies to as a [B, 1, 1] mask, or null (every row, or a range). */
    public NDArray mask(String name) {
        return rowMasks.get(name);
    }

    /** The rows this adapter applies to as {start, end}, when they are contiguous and not all; else null. */
    public int[] range(String name) {
        return rowRanges.get(name);
    }
}
