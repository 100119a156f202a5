package org.clinlora.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training job's settings as rows a person reads and compares: trainer-svc's completed spec (the paper's defaults
 * filled in, exactly what the job ran) flattened to dotted names — {@code lora.r}, {@code optim.learningRate},
 * {@code datasets.train}, {@code protocol.selection} … — in the spec's own order, with what the spec implies but does
 * not say: the LoRA targets when the base's default applies, the effective batch, the learning-rate schedule, and the
 * row length the train dataset was built with (from tokenizer-svc, when it built it).
 */
final class RunSettings {
    /** The schedule every job trains with ({@code get_linear_schedule_with_warmup} in transformers). */
    static final String SCHEDULE = "linear warm-up, then linear decay to 0";

    static final String DEFAULT_TARGETS = "the base's default (LLaMA q_proj, v_proj; BERT query, value)";

    private RunSettings() {}

    /**
     * {@code spec}: the job's spec; {@code dataset}: tokenizer-svc's record of its train dataset, or a missing node.
     */
    static Map<String, String> of(JsonNode spec, JsonNode dataset) {
        Map<String, String> rows = new LinkedHashMap<>();
        flatten("", spec, rows);
        rows.remove("jobId"); // the page's title
        if (spec.has("lora") && !spec.path("lora").has("targetModules"))
            rows.put("lora.targetModules", DEFAULT_TARGETS);
        JsonNode optim = spec.path("optim");
        if (optim.path("batchSize").isNumber()
                && optim.path("gradientAccumulation").isNumber())
            rows.put(
                    "optim.effectiveBatch",
                    String.valueOf(optim.path("batchSize").asLong()
                            * optim.path("gradientAccumulation").asLong()));
        if (optim.isObject()) rows.put("optim.schedule", SCHEDULE);
        JsonNode built = dataset.path("spec");
        for (String f : List.of("seqLen", "truncation", "kind")) {
            if (built.hasNonNull(f)) rows.put("data." + f, built.path(f).asText());
        }
        return rows;
    }

    /** The names whose values are not the same in every run (a name one run lacks counts as differing). */
    static List<String> differing(List<Map<String, String>> runs) {
        List<String> names = union(runs);
        List<String> out = new ArrayList<>();
        for (String n : names) {
            String first = runs.get(0).get(n);
            for (Map<String, String> r : runs) {
                String v = r.get(n);
                if (v == null ? first != null : !v.equals(first)) {
                    out.add(n);
                    break;
                }
            }
        }
        return out;
    }

    /** Every name any run has, in first-seen order. */
    static List<String> union(List<Map<String, String>> runs) {
        Map<String, Boolean> seen = new LinkedHashMap<>();
        for (Map<String, String> r : runs) r.keySet().forEach(k -> seen.put(k, true));
        return new ArrayList<>(seen.keySet());
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> rows) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                flatten(prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey(), f.getValue(), rows);
            }
        } else if (node.isArray()) {
            List<String> items = new ArrayList<>();
            node.forEach(n -> items.add(n.asText()));
            rows.put(prefix, String.join(", ", items));
        } else if (!node.isNull() && !node.isMissingNode()) {
            rows.put(prefix, node.asText());
        }
    }
}
