package org.clinlora.registry.versions;

import java.util.List;
import java.util.Map;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.task.ProblemType;

/**
 * What a publisher says about a version besides its files — the card's fields that the registry does not derive.
 * {@code problemType} and {@code noteEncoding} belong to adapters with a classification head (see AdapterCard).
 */
public record PublishRequest(String task, List<String> labelNames, ProblemType problemType, NoteEncoding noteEncoding,
                             String baseModelId, String parent, List<String> datasetIds, Map<String, Object> trainingConfig,
                             Map<String, Double> metrics, String publishedBy) {}
