package org.clinlora.model.train;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.clinlora.model.metrics.MulticlassAuroc;
import org.clinlora.model.task.ScoreFunction;

/**
 * How a downstream (classification) run is trained, scored and chosen, beyond its LoRA and optimiser settings: the
 * choices on which the paper's text and its code differ, each explicit so a run states what it did. {@link #DEFAULT} is
 * this project's protocol (no class weights, best validation macro AUROC, one-vs-rest AUROC, sigmoid scores for
 * multi-label tasks, both adapters' deltas summed).
 *
 * @param classWeighting the cross-entropy's class weights for single-label tasks
 * @param selection which epoch's adapter is kept
 * @param multiclassAuroc how a task with more than two classes gets one macro AUROC (one-vs-rest or one-vs-one)
 * @param multilabelScores how a multi-label task's logits become the scores its AUROC ranks
 * @param stacking how the new adapter meets its parent in the forward pass
 */
public record DownstreamProtocol(
        ClassWeighting classWeighting,
        ModelSelection selection,
        MulticlassAuroc multiclassAuroc,
        ScoreFunction multilabelScores,
        Stacking stacking) {
    public static final DownstreamProtocol DEFAULT = new DownstreamProtocol(
            ClassWeighting.NONE,
            ModelSelection.BEST_VALIDATION_AUROC,
            MulticlassAuroc.OVR,
            ScoreFunction.SIGMOID,
            Stacking.SUM);

    /** Absent choices take {@link #DEFAULT}'s. */
    public DownstreamProtocol {
        if (classWeighting == null) classWeighting = ClassWeighting.NONE;
        if (selection == null) selection = ModelSelection.BEST_VALIDATION_AUROC;
        if (multiclassAuroc == null) multiclassAuroc = MulticlassAuroc.OVR;
        if (multilabelScores == null) multilabelScores = ScoreFunction.SIGMOID;
        if (stacking == null) stacking = Stacking.SUM;
    }

    public DownstreamProtocol withSelection(ModelSelection s) {
        return new DownstreamProtocol(classWeighting, s, multiclassAuroc, multilabelScores, stacking);
    }

    public DownstreamProtocol withClassWeighting(ClassWeighting w) {
        return new DownstreamProtocol(w, selection, multiclassAuroc, multilabelScores, stacking);
    }

    public DownstreamProtocol withStacking(Stacking s) {
        return new DownstreamProtocol(classWeighting, selection, multiclassAuroc, multilabelScores, s);
    }

    /** The choices by their config names, for manifests, cards and reports. */
    public Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("classWeighting", classWeighting.id());
        m.put("selection", selection.id());
        m.put("multiclassAuroc", multiclassAuroc.name().toLowerCase(Locale.ROOT));
        m.put("multilabelScores", multilabelScores.id());
        m.put("stacking", stacking.id());
        return m;
    }
}
