package org.clinlora.core.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.clinlora.core.model.StepContext;

/**
 * Which adapters a forward pass applies, and to which rows. The common case is one stack for the whole batch (training,
 * the paper's fused Clinical + Downstream LoRA). A scorer batches rows for different tasks together: each row has its own
 * stack, and each adapter's delta is multiplied by a [B, 1, 1] 0/1 mask of the rows that use it. A LoRA delta costs
 * {@code 4·d·r} FLOPs per token against {@code 2·d²} for the frozen projection, so computing it for every row and masking
 * is cheaper than gathering and scattering rows, and keeps one batched matmul per projection.
 */
public final class ActiveAdapters {
    private final List<String> names;
    private final Map<String, NDArray> rowMasks;

    private ActiveAdapters(List<String> names, Map<String, NDArray> rowMasks) {
        this.names = names;
        this.rowMasks = rowMasks;
    }

    /** The same stack on every row. */
    public static ActiveAdapters all(List<String> names) {
        return new ActiveAdapters(List.copyOf(names), Map.of());
    }

    /** Row {@code i} applies {@code stacks.get(i)}; masks live in the step. */
    public static ActiveAdapters perRow(StepContext ctx, List<List<String>> stacks) {
        LinkedHashSet<String> union = new LinkedHashSet<>();
        stacks.forEach(union::addAll);
        Map<String, NDArray> masks = new LinkedHashMap<>();
        int b = stacks.size();
        for (String name : union) {
            float[] m = new float[b];
            boolean all = true;
            for (int i = 0; i < b; i++) {
                m[i] = stacks.get(i).contains(name) ? 1f : 0f;
                all &= m[i] == 1f;
            }
            if (!all) masks.put(name, ctx.manager().create(m, new Shape(b, 1, 1)).toType(ctx.dtype(), false));
        }
        return new ActiveAdapters(new ArrayList<>(union), masks);
    }

    public List<String> names() {
        return names;
    }

    /** The rows this adapter applies to as a [B, 1, 1] mask, or null for every row. */
    public NDArray mask(String name) {
        return rowMasks.get(name);
    }
}
