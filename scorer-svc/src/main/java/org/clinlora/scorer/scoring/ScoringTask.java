package org.clinlora.scorer.scoring;

import java.util.List;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.task.ProblemType;
import org.clinlora.platform.registry.AdapterCard;

/** A resolved task: the adapter version that scores, and its stack from the root ancestor down to it. */
public record ScoringTask(String name, int version, List<AdapterCard> lineage) {
    public ScoringTask {
        lineage = List.copyOf(lineage);
    }

    public AdapterCard card() {
        return lineage.get(lineage.size() - 1);
    }

    public String ref() {
        return name + "@" + version;
    }

    /** The adapters to activate, root first: each version's {@code name@version}. */
    public List<String> stack() {
        return lineage.stream().map(AdapterCard::ref).toList();
    }

    public List<String> labelNames() {
        return card().labelNames();
    }

    public ProblemType problemType() {
        return ProblemType.of(card().multilabel());
    }

    /** How the adapter's training notes became rows; null for cards that predate the field. */
    public NoteEncoding noteEncoding() {
        return card().noteEncoding();
    }
}
