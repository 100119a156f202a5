package org.clinlora.platform.registry;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.task.ProblemType;

/**
 * {@code card.json}, written beside a published adapter's PEFT files: what the adapter is for, what it was made from,
 * and the sha256 of each file so every reader can verify what it loads.
 *
 * @param problemType for an adapter with a classification head: one label per note or several
 * @param noteEncoding for an adapter with a classification head: how its training notes became rows (normaliser,
 *     truncation side, row length, special tokens), so the scorer prepares a note exactly the same way
 * @param parent the adapter this one is stacked on, as {@code name@version}, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AdapterCard(
        int schemaVersion,
        String name,
        int version,
        String task,
        String taskType,
        List<String> labelNames,
        ProblemType problemType,
        NoteEncoding noteEncoding,
        BaseModel baseModel,
        String parent,
        List<String> datasetIds,
        Map<String, Object> trainingConfig,
        Map<String, Double> metrics,
        Map<String, FileEntry> files,
        String createdAt,
        String publishedBy) {

    public static final int SCHEMA_VERSION = 1;

    /** The base model by its id in the store and the sha256 of its manifest (which covers every file). */
    public record BaseModel(String id, String sha256) {}

    public record FileEntry(String sha256, long size) {}

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final JavaType FILES =
            JSON.getTypeFactory().constructMapType(TreeMap.class, String.class, FileEntry.class);

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static AdapterCard parse(byte[] json) {
        try {
            return JSON.readValue(json, AdapterCard.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("card.json is not valid: " + e.getMessage());
        }
    }

    /**
     * The {@code files} object of a card or of a base model's manifest (they share it): each file's name with its
     * sha256 and size, bound as a card binds its own. Empty when the document has none. Both documents are the store's,
     * so a malformed one is damage there, an IllegalStateException, not a caller's bad argument.
     */
    public static SortedMap<String, FileEntry> filesOf(JsonNode document) {
        JsonNode files = document.path("files");
        if (!files.isObject()) return new TreeMap<>();
        SortedMap<String, FileEntry> out;
        try {
            out = JSON.treeToValue(files, FILES);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "the files a card or model manifest lists are not valid: " + e.getOriginalMessage());
        }
        if (out.containsValue(null)) throw new IllegalStateException("a card or model manifest lists a file as null");
        return out;
    }

    /** Several labels per note (sigmoid per label) rather than one (softmax); older cards kept it in trainingConfig. */
    public boolean multilabel() {
        if (problemType != null) return problemType.multilabel();
        return trainingConfig != null && ProblemType.MULTI_LABEL.hfName().equals(trainingConfig.get("problemType"));
    }

    /**
     * This card as a scorer keeps it for every version it serves: what loading, stacking and scoring read (name,
     * version, task, labels, problem type, note encoding, base, parent, files) without the training record
     * (trainingConfig, metrics, datasetIds, dates), which a scorer holding thousands of versions would keep for
     * nothing. The problem type is resolved first: older cards kept it in trainingConfig.
     */
    public AdapterCard forServing() {
        boolean head = labelNames != null && !labelNames.isEmpty();
        ProblemType resolved = problemType == null && head ? ProblemType.of(multilabel()) : problemType;
        return new AdapterCard(
                schemaVersion,
                name,
                version,
                task,
                taskType,
                labelNames,
                resolved,
                noteEncoding,
                baseModel,
                parent,
                null,
                null,
                null,
                files,
                null,
                null);
    }

    /** {@code name@version}. */
    public String ref() {
        return name + "@" + version;
    }
}
