package org.clinlora.cli.experiment;

import static org.clinlora.cli.experiment.ExperimentConfig.or;

import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.clinlora.cli.experiment.ExperimentConfig.Corpus;
import org.clinlora.cli.experiment.ExperimentConfig.Stage;
import org.clinlora.model.metrics.MulticlassAuroc;
import org.clinlora.model.task.ScoreFunction;
import org.clinlora.model.train.ClassWeighting;
import org.clinlora.model.train.ModelSelection;
import org.clinlora.model.train.PaperDefaults;

/** The two stages of an experiment completed: every knob named, each checked, a wrong one naming its field. */
final class StageDefaults {
    private StageDefaults() {}

    /**
     * The Clinical LoRA's stage: 512-token rows, packed, the default normaliser, {@code heldOut} of the patients held
     * out (the tasks' validation + test shares, so the same patients train as before hold-out was a knob).
     */
    static Stage clinical(Stage given, double heldOut) {
        Stage x = given == null ? new Stage(null, null, null, null) : given;
        if (x.selectBestEpoch() != null
                || x.selection() != null
                || x.classWeighting() != null
                || x.multiclassAuroc() != null
                || x.multilabelScores() != null) {
            throw new IllegalArgumentException(
                    "clinical: selection, class weights and AUROC settings are for the downstream runs");
        }
        Corpus c = x.corpus() == null ? new Corpus(null, null, null, null) : x.corpus();
        Corpus corpus = new Corpus(
                or(c.layout(), "packed"),
                or(c.holdOut(), heldOut),
                or(c.holdOutBy(), "patient"),
                or(c.text(), "as-is"));
        oneOf("clinical.corpus.layout", corpus.layout(), Corpus.LAYOUTS);
        oneOf("clinical.corpus.holdOutBy", corpus.holdOutBy(), Corpus.HOLD_OUT_BY);
        oneOf("clinical.corpus.text", corpus.text(), Corpus.TEXTS);
        if (!(corpus.holdOut() > 0 && corpus.holdOut() < 1))
            throw new IllegalArgumentException("clinical.corpus.holdOut must be in (0, 1)");
        return new Stage(
                seqLen("clinical", x.seqLen(), PaperDefaults.CLINICAL_SEQ_LEN),
                x.lora(),
                x.optim(),
                null,
                normalizer("clinical", x.normalizer()),
                corpus,
                null,
                null,
                null,
                null);
    }

    /**
     * The downstream stage: 128-token rows, the default normaliser and {@code DownstreamProtocol.DEFAULT}'s choices.
     */
    static Stage downstream(Stage given) {
        Stage x = given == null ? new Stage(null, null, null, null) : given;
        if (x.corpus() != null)
            throw new IllegalArgumentException("downstream.corpus: the corpus is the Clinical LoRA's");
        String selection;
        if (x.selection() == null) {
            selection = (Boolean.FALSE.equals(x.selectBestEpoch())
                            ? ModelSelection.LAST_EPOCH
                            : ModelSelection.BEST_VALIDATION_AUROC)
                    .id();
        } else {
            selection = parsed(
                    "downstream.selection",
                    () -> ModelSelection.parse(x.selection()).id());
            boolean last = selection.equals(ModelSelection.LAST_EPOCH.id());
            if (x.selectBestEpoch() != null && x.selectBestEpoch() == last)
                throw new IllegalArgumentException(
                        "downstream.selectBestEpoch contradicts downstream.selection; give selection only");
        }
        String weighting = parsed(
                "downstream.classWeighting",
                () -> ClassWeighting.parse(or(x.classWeighting(), "none")).id());
        String auroc = parsed(
                "downstream.multiclassAuroc",
                () -> MulticlassAuroc.parse(or(x.multiclassAuroc(), "ovr"))
                        .name()
                        .toLowerCase(Locale.ROOT));
        String scores = parsed(
                "downstream.multilabelScores",
                () -> ScoreFunction.parse(or(x.multilabelScores(), "sigmoid")).id());
        return new Stage(
                seqLen("downstream", x.seqLen(), PaperDefaults.DOWNSTREAM_SEQ_LEN),
                x.lora(),
                x.optim(),
                !selection.equals(ModelSelection.LAST_EPOCH.id()),
                normalizer("downstream", x.normalizer()),
                null,
                selection,
                weighting,
                auroc,
                scores);
    }

    private static int seqLen(String stage, Integer given, int dflt) {
        int len = or(given, dflt);
        if (len < 8 || len > 32768)
            throw new IllegalArgumentException(stage + ".seqLen must be between 8 and 32768, got " + len);
        return len;
    }

    private static String normalizer(String stage, String given) {
        String n = or(given, "default");
        oneOf(stage + ".normalizer", n, List.of("default", "none"));
        return n;
    }

    private static void oneOf(String field, String value, List<String> allowed) {
        if (!allowed.contains(value))
            throw new IllegalArgumentException(field + " must be one of " + allowed + ", got '" + value + "'");
    }

    private static String parsed(String field, Supplier<String> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": " + e.getMessage());
        }
    }
}
