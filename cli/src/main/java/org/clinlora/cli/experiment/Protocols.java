package org.clinlora.cli.experiment;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The experiment's protocol presets: what the paper's text describes ({@code paper-text}, the default) and what the
 * paper's code ran in its first and revised versions ({@code paper-code-v1}, {@code paper-code-v2}). Each preset is a
 * partial experiment config ({@code protocols/<name>.json} beside this class) laid under the user's file: a field the
 * file sets wins, objects merge field by field, anything neither sets takes this project's default. docs/EXPERIMENT.md
 * sets the presets side by side, knob by knob.
 */
public final class Protocols {
    public static final List<String> NAMES = List.of("paper-text", "paper-code-v1", "paper-code-v2");
    public static final String DEFAULT = "paper-text";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private Protocols() {}

    /** The config with its preset's settings under its own, and the preset named. */
    static ExperimentConfig apply(ExperimentConfig config) {
        String name = config.protocol() == null ? DEFAULT : config.protocol();
        ObjectNode merged = preset(name);
        // A search chooses the downstream rate: the preset's would contradict it.
        if (config.search() != null && merged.path("downstream").path("optim") instanceof ObjectNode o)
            o.remove("learningRate");
        merge(merged, JSON.valueToTree(config));
        merged.put("protocol", name);
        try {
            return JSON.treeToValue(merged, ExperimentConfig.class);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(e.getOriginalMessage());
        }
    }

    /** A preset's settings as a partial config. */
    public static ObjectNode preset(String name) {
        if (!NAMES.contains(name))
            throw new IllegalArgumentException("protocol must be one of " + NAMES + ", got '" + name + "'");
        try (InputStream in = Protocols.class.getResourceAsStream("protocols/" + name + ".json")) {
            if (in == null) throw new IllegalStateException("preset " + name + " is missing from the build");
            return (ObjectNode) JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Fields that say one thing two ways: the file setting one replaces the preset's other. */
    private static final List<List<String>> EITHER = List.of(
            List.of("selectBestEpoch", "selection"), List.of("warmupRatio", "warmupSteps"), List.of("seed", "seeds"));

    /** {@code over}'s fields into {@code base}: objects merged recursively, anything else replaced. */
    private static void merge(ObjectNode base, JsonNode over) {
        over.fields().forEachRemaining(e -> {
            if (e.getValue().isNull()) return;
            for (List<String> pair : EITHER) {
                // Only the preset's other field goes: the file giving both is the file's contradiction to refuse.
                String other = pair.contains(e.getKey()) ? pair.get(1 - pair.indexOf(e.getKey())) : null;
                if (other != null && !over.hasNonNull(other)) base.remove(other);
            }
            JsonNode mine = base.get(e.getKey());
            if (mine instanceof ObjectNode o && e.getValue().isObject()) merge(o, e.getValue());
            else if (!e.getValue().isNull()) base.set(e.getKey(), e.getValue());
        });
    }
}
