package org.clinlora.cli.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.LlamaModel;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.model.text.NoteNormalizer;

/**
 * The model without the service: the same base, adapter stack and notes as scorer-svc serves in {@code bench score},
 * forwarded in this JVM as the scorer's model thread would (rows padded to the longest, last-token pooling, the task's
 * head), with no HTTP, JSON, queueing or tokenization timed. The reference the service's figures are divided by.
 */
final class BareForward {
    /** Rows per second of full batches of {@code batchRows}; median seconds of one single-row forward. */
    record Figures(int batchRows, double rowsPerSecond, double oneRowSeconds) {}

    private BareForward() {}

    /** {@code stackDirs}: PEFT adapter directories, root first; the last one carries the score head. */
    static Figures measure(Path modelDir, List<String> stackDirs, List<String> notes, int batchRows, int steps)
            throws IOException {
        try (LlamaModel model = LlamaModel.load(modelDir, Compute.CPU_FP32);
                ClinicalTokenizer tok = ClinicalTokenizer.load(modelDir)) {
            List<String> stack = PeftAdapterDir.loadStackForServing(model, stackDirs); // as scorer-svc holds them
            long pad = model.config().specialIds().pad();
            long[][] rows = new long[notes.size()][];
            for (int i = 0; i < rows.length; i++) {
                long[] ids = tok.encode(NoteNormalizer.DEFAULT.normalize(notes.get(i)), true);
                rows[i] = Arrays.copyOf(ids, Math.min(ids.length, 128)); // the scorer's 128-token rows
            }
            TokenBatch full = batch(rows, 0, batchRows, pad), one = batch(rows, 0, 1, pad);
            Timing.Timed batched = Timing.time(3, steps, null, () -> forward(model, stack, full));
            Timing.Timed single = Timing.time(3, steps * 4, null, () -> forward(model, stack, one));
            return new Figures(
                    batchRows, batchRows / Timing.median(batched.seconds()), Timing.median(single.seconds()));
        }
    }

    /** {@code n} notes from {@code from} (cycling), padded with pad_token_id to the longest. */
    private static TokenBatch batch(long[][] rows, int from, int n, long pad) {
        int t = 1;
        for (int k = 0; k < n; k++) t = Math.max(t, rows[(from + k) % rows.length].length);
        long[] ids = new long[n * t], mask = new long[n * t];
        Arrays.fill(ids, pad);
        for (int k = 0; k < n; k++) {
            long[] r = rows[(from + k) % rows.length];
            for (int j = 0; j < r.length; j++) {
                ids[k * t + j] = r[j];
                mask[k * t + j] = 1;
            }
        }
        return new TokenBatch(n, t, ids, mask);
    }

    private static void forward(LlamaModel model, List<String> stack, TokenBatch tokens) {
        try (StepContext ctx = model.newStep(false)) {
            var pooled = model.pooledHiddenStates(ctx, tokens, ActiveAdapters.all(stack));
            model.scorePooled(pooled, model.adapter(stack.get(stack.size() - 1)).head())
                    .softmax(-1)
                    .toFloatArray();
        }
    }
}
