package org.clinlora.scorer.scoring;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.task.ProblemType;

/**
 * One forward pass over rows of many tasks. Rows are sorted by their adapter stack, so every adapter's rows form one
 * contiguous range and each LoRA delta is computed on its own rows only (ActiveAdapters): a batch that mixes many tasks
 * costs about what one task does. The base model pools each row once; every task's head is then applied by the model
 * library ({@link BaseModel#scorePooled}) and turned into probabilities by its problem type.
 */
final class BatchForward {
    /** One row: the adapters to activate (root first), the adapter whose score head applies, and the token ids. */
    record Input(List<String> stack, String head, ProblemType problemType, long[] ids) {}

    private BatchForward() {}

    /** Probabilities per input row, in input order (run on the model thread). */
    static List<float[]> probabilities(BaseModel model, List<Input> rows) {
        Integer pad = model.config().padTokenId();
        if (pad == null && rows.size() > 1) {
            // Without pad_token_id a classifier pools the last position, so (as in Hugging Face) only unpadded single
            // rows.
            List<float[]> out = new ArrayList<>();
            for (Input r : rows) out.add(probabilities(model, List.of(r)).get(0));
            return out;
        }
        int b = rows.size();
        Integer[] order = new Integer[b];
        for (int i = 0; i < b; i++) order[i] = i;
        Arrays.sort(
                order,
                Comparator.comparing(i -> String.join("\u0000", rows.get(i).stack())));
        int t = rows.stream().mapToInt(r -> r.ids().length).max().orElse(1);
        long[] ids = new long[b * t], mask = new long[b * t];
        // Padding holds pad_token_id: the classifier pools each row's rightmost token that is not the pad.
        if (pad != null) Arrays.fill(ids, pad);
        List<List<String>> stacks = new ArrayList<>();
        for (int k = 0; k < b; k++) {
            long[] r = rows.get(order[k]).ids();
            for (int j = 0; j < r.length; j++) {
                ids[k * t + j] = r[j];
                mask[k * t + j] = 1;
            }
            stacks.add(rows.get(order[k]).stack());
        }
        TokenBatch tokens = new TokenBatch(b, t, ids, mask);
        float[][] out = new float[b][];
        try (StepContext ctx = model.newStep(false)) {
            NDArray pooled = model.pooledHiddenStates(ctx, tokens, ActiveAdapters.perRow(ctx, stacks));
            Map<String, float[]> byHead = new LinkedHashMap<>();
            Map<String, Integer> width = new LinkedHashMap<>();
            for (int k = 0; k < b; k++) {
                Input in = rows.get(order[k]);
                if (byHead.containsKey(in.head())) continue;
                NDArray logits =
                        model.scorePooled(pooled, model.adapter(in.head()).head());
                byHead.put(in.head(), in.problemType().probabilities(logits).toFloatArray());
                width.put(in.head(), Math.toIntExact(logits.getShape().get(1)));
            }
            for (int k = 0; k < b; k++) {
                Input in = rows.get(order[k]);
                int c = width.get(in.head());
                float[] row = new float[c];
                System.arraycopy(byHead.get(in.head()), k * c, row, 0, c);
                out[order[k]] = row;
            }
        }
        return List.of(out);
    }
}
