package org.clinlora.platform.registry;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.task.ProblemType;

/**
 * What a publisher says about a new adapter version besides its files — the card's fields the registry does not derive.
 * The one publish contract: trainer-svc, the CLI and the benches write it, registry-svc reads it (the {@code card} part
 * of an upload, the {@code card} of a publish from the store). {@code labelNames}, {@code problemType} and
 * {@code noteEncoding} belong to adapters with a classification head (see {@link AdapterCard}).
 *
 * <p>{@code publishedBy} is not the publisher's to choose: the registry records the subject of the bearer token that
 * published (a service's own token for trainer-svc), so publishers leave it out. It stays in the contract so that a
 * card naming someone else is refused with 400 instead of being silently rewritten.
 */
@JsonInclude(JsonInclude.Include.NON_NULL) // absent, as publishers always sent it
public record PublishRequest(
        String task,
        List<String> labelNames,
        ProblemType problemType,
        NoteEncoding noteEncoding,
        String baseModelId,
        String parent,
        List<String> datasetIds,
        Map<String, Object> trainingConfig,
        Map<String, Double> metrics,
        String publishedBy) {

    /** A card with only a task and a base model: what a hand-pushed adapter without a head needs. */
    public static PublishRequest of(String task, String baseModelId) {
        return new PublishRequest(task, null, null, null, baseModelId, null, null, null, null, null);
    }

    public PublishRequest withLabels(List<String> names, ProblemType type, NoteEncoding encoding) {
        return new PublishRequest(
                task, names, type, encoding, baseModelId, parent, datasetIds, trainingConfig, metrics, publishedBy);
    }

    public PublishRequest withParent(String parentRef) {
        return new PublishRequest(
                task,
                labelNames,
                problemType,
                noteEncoding,
                baseModelId,
                parentRef,
                datasetIds,
                trainingConfig,
                metrics,
                publishedBy);
    }

    public PublishRequest withTraining(List<String> datasets, Map<String, Object> config, Map<String, Double> figures) {
        return new PublishRequest(
                task,
                labelNames,
                problemType,
                noteEncoding,
                baseModelId,
                parent,
                datasets,
                config,
                figures,
                publishedBy);
    }

    /** A card that names its publisher; the registry accepts it only when {@code who} is the token's subject. */
    public PublishRequest publishedBy(String who) {
        return new PublishRequest(
                task,
                labelNames,
                problemType,
                noteEncoding,
                baseModelId,
                parent,
                datasetIds,
                trainingConfig,
                metrics,
                who);
    }
}
