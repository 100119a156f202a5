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
import org.clinlora.platform.api.ApiException;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.StoredDatasets;

/**
 * POST /v1/evaluate: a labelled dataset through the same scoring path, and the trainer's metrics on it, with the curves
 * behind them (ROC and precision-recall per label, the macro ROC, the confusion matrix of a single-label task).
 */
@ApplicationScoped
public class Evaluator {
    private static final int CHUNK = 32;

    public record Report(String task, String adapter, String datasetId, String split, Map<String, Double> metrics, EvaluationCurves curves) {}

    private final ScoringService engine;
    private final BlobStore store;
    private final Path cacheDir;

    public Evaluator(ScoringService engine, BlobStore store, ScorerConfig config) {
        this.engine = engine;
        this.store = store;
        this.cacheDir = config.cacheDir();
    }

    public Report evaluate(String datasetId, String taskRef, String split) {
        List<String> splits = switch (split) {
            case "all" -> List.of("train", "validation", "test");
            case "train", "validation", "test" -> List.of(split);
            default -> throw ApiException.invalid("split must be train, validation, test or all");
        };
        ScoringTask task = engine.resolve(taskRef);
        TokenDataset data;
        try {
            data = StoredDatasets.open(store, datasetId, cacheDir.resolve("datasets"));
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound(e.getMessage());
        } catch (IOException e) {
            throw ApiException.unavailable("store_unavailable", "the dataset could not be read; retry later");
        }
        if (data.causalLm()) throw ApiException.unprocessable("not_labelled", "dataset '" + datasetId + "' is a causal-LM dataset without labels");
        if (!data.labelNames().equals(task.card().labelNames())) {
            throw ApiException.unprocessable("label_mismatch", "dataset '" + datasetId + "' labels " + data.labelNames() + " differ from adapter " + task.ref() + "'s " + task.card().labelNames());
        }
        int c = data.labelNames().size();
        List<double[]> probs = new ArrayList<>();
        List<boolean[]> truth = new ArrayList<>();
        try {
            for (String s : splits) {
                for (TokenDataset.Shard shard : data.shards(s)) {
                    TokenDataset.Rows rows = data.load(shard);
                    for (int start = 0; start < rows.rows(); start += CHUNK) {
                        int end = Math.min(rows.rows(), start + CHUNK);
                        List<long[]> ids = new ArrayList<>();
                        for (int i = start; i < end; i++) {
                            long[] r = new long[rows.lengths()[i]];
                            for (int j = 0; j < r.length; j++) r[j] = rows.inputIds()[i * rows.seqLen() + j];
                            ids.add(r);
                        }
                        ScoringService.Scored scored = engine.scoreIds(task.ref(), ids).get(5, TimeUnit.MINUTES);
                        for (int i = start; i < end; i++) {
                            Map<String, Double> p = scored.rows().get(i - start).probabilities();
                            double[] row = new double[c];
                            boolean[] t = new boolean[c];
                            for (int j = 0; j < c; j++) {
                                row[j] = p.get(data.labelNames().get(j));
                                t[j] = data.multilabel() ? rows.multiHot()[i * c + j] > 0.5f : rows.classes()[i] == j;
                            }
                            probs.add(row);
                            truth.add(t);
                        }
                    }
                }
            }
        } catch (ApiException e) {
            throw e;
        } catch (Exception e) {
            throw new ApiException(500, "evaluation_failed", "evaluation failed (" + e.getClass().getSimpleName() + ")");
        }
        if (probs.isEmpty()) throw ApiException.unprocessable("empty_split", "dataset '" + datasetId + "' has no rows in " + split);
        Predictions p = new Predictions(data.labelNames(), !data.multilabel(), null, probs.toArray(double[][]::new), truth.toArray(boolean[][]::new));
        Map<String, Double> m = p.metrics();
        m.values().removeIf(v -> !Double.isFinite(v));
        return new Report(taskRef, task.ref(), datasetId, split, m, EvaluationCurves.of(p));
    }
}
