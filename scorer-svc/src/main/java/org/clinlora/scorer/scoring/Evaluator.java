package org.clinlora.scorer.scoring;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.clinlora.model.data.TokenDataset;
import org.clinlora.model.metrics.EvaluationCurves;
import org.clinlora.model.metrics.Predictions;
import org.clinlora.platform.failure.Failure;
import org.clinlora.platform.failure.InternalFailure;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoredDatasets;

/**
 * POST /v1/evaluate: a labelled dataset through the same scoring path, and the trainer's metrics on it, with the curves
 * behind them (ROC and precision-recall per label, the macro ROC, the confusion matrix of a single-label task).
 */
@ApplicationScoped
public class Evaluator {
    private static final int CHUNK = 32;

    public record Report(
            String task,
            String adapter,
            String datasetId,
            String split,
            Map<String, Double> metrics,
            EvaluationCurves curves) {}

    /** Per scored row, in dataset order: the probability of each label, and whether the row has that label. */
    private record Outcomes(List<double[]> probabilities, List<boolean[]> truth) {}

    private final ScoringService engine;
    private final BlobStore store;
    private final Path cacheDir;

    public Evaluator(ScoringService engine, BlobStore store, ScorerConfig config) {
        this.engine = engine;
        this.store = store;
        this.cacheDir = config.cacheDir();
    }

    public Report evaluate(String datasetId, String taskRef, String split) {
        List<String> splits = splits(split);
        ScoringTask task = engine.resolve(taskRef);
        TokenDataset data = open(datasetId);
        requireLabelsOf(task, data);
        Outcomes o = score(task, data, splits);
        if (o.probabilities().isEmpty())
            throw new Unprocessable("empty_split", "dataset '" + datasetId + "' has no rows in " + split);
        Predictions p = new Predictions(
                data.labelNames(),
                !data.multilabel(),
                null,
                o.probabilities().toArray(double[][]::new),
                o.truth().toArray(boolean[][]::new));
        Map<String, Double> m = p.metrics();
        m.values().removeIf(v -> !Double.isFinite(v));
        return new Report(taskRef, task.ref(), datasetId, split, m, EvaluationCurves.of(p));
    }

    private static List<String> splits(String split) {
        return switch (split) {
            case "all" -> List.of("train", "validation", "test");
            case "train", "validation", "test" -> List.of(split);
            default -> throw new InvalidRequest("split must be train, validation, test or all");
        };
    }

    private TokenDataset open(String datasetId) {
        try {
            return StoredDatasets.open(store, datasetId, cacheDir.resolve("datasets"));
        } catch (IllegalArgumentException e) {
            throw new NotFound(e.getMessage());
        } catch (IOException e) {
            throw new Unavailable("store_unavailable", "the dataset could not be read; retry later");
        }
    }

    /** A classification dataset whose labels are the adapter's, in the same order. */
    private static void requireLabelsOf(ScoringTask task, TokenDataset data) {
        if (data.causalLm())
            throw new Unprocessable(
                    "not_labelled", "dataset '" + data.id() + "' is a causal-LM dataset without labels");
        if (!data.labelNames().equals(task.card().labelNames())) {
            throw new Unprocessable(
                    "label_mismatch",
                    "dataset '" + data.id() + "' labels " + data.labelNames() + " differ from adapter " + task.ref()
                            + "'s " + task.card().labelNames());
        }
    }

    /** Every row of the splits, scored {@value #CHUNK} rows per request; anything but a {@link Failure} is a 500. */
    private Outcomes score(ScoringTask task, TokenDataset data, List<String> splits) {
        Outcomes out = new Outcomes(new ArrayList<>(), new ArrayList<>());
        try {
            for (String s : splits) {
                for (TokenDataset.Shard shard : data.shards(s)) score(task, data, data.load(shard), out);
            }
        } catch (Failure e) {
            throw e;
        } catch (Exception e) {
            throw new InternalFailure(
                    "evaluation_failed", "evaluation failed (" + e.getClass().getSimpleName() + ")");
        }
        return out;
    }

    private void score(ScoringTask task, TokenDataset data, TokenDataset.Rows rows, Outcomes out) throws Exception {
        for (int start = 0; start < rows.rows(); start += CHUNK) {
            int end = Math.min(rows.rows(), start + CHUNK);
            List<long[]> ids = new ArrayList<>();
            for (int i = start; i < end; i++) ids.add(inputIds(rows, i));
            ScoringService.Scored scored = engine.scoreIds(task.ref(), ids).get(5, TimeUnit.MINUTES);
            for (int i = start; i < end; i++) {
                out.probabilities().add(probabilities(data, scored.rows().get(i - start)));
                out.truth().add(truth(data, rows, i));
            }
        }
    }

    /** Row {@code i}'s token ids, without the padding. */
    private static long[] inputIds(TokenDataset.Rows rows, int i) {
        long[] r = new long[rows.lengths()[i]];
        for (int j = 0; j < r.length; j++) r[j] = rows.inputIds()[i * rows.seqLen() + j];
        return r;
    }

    /** The scored probabilities in the dataset's label order. */
    private static double[] probabilities(TokenDataset data, BatchScheduler.Row scored) {
        List<String> labels = data.labelNames();
        double[] row = new double[labels.size()];
        for (int j = 0; j < row.length; j++) row[j] = scored.probabilities().get(labels.get(j));
        return row;
    }

    /** Row {@code i}'s labels: its multi-hot vector, or its one class. */
    private static boolean[] truth(TokenDataset data, TokenDataset.Rows rows, int i) {
        int c = data.labelNames().size();
        boolean[] t = new boolean[c];
        for (int j = 0; j < c; j++)
            t[j] = data.multilabel() ? rows.multiHot()[i * c + j] > 0.5f : rows.classes()[i] == j;
        return t;
    }
}
