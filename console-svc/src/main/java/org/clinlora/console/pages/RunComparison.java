package org.clinlora.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Two to five training jobs side by side, as a run-comparison view shows them: the settings that differ (and how many
 * are the same), the final metrics of each with the best one marked, and the curves to overlay — the training loss per
 * optimizer step and the validation macro AUROC and loss per epoch — as one JSON the page's charts draw.
 *
 * @param runs each job: {@code id}, {@code status}, {@code adapter}
 * @param differing the settings whose values are not the same in every run: {@code name}, {@code cells} (one value per
 *     run)
 * @param same how many settings every run shares
 * @param all every setting, differing or not (the page folds them away)
 * @param metrics every metric any run reported: {@code name}, {@code cells} (null where a run lacks it), {@code best}
 *     (the index of the best run, or -1 when "best" has no meaning for that metric or only one run has it)
 * @param curves what the charts draw: per run its id, {@code [step, loss]} points and {@code [epoch, auroc, loss]}
 */
record RunComparison(
        List<Map<String, Object>> runs,
        List<Map<String, Object>> differing,
        int same,
        List<Map<String, Object>> all,
        List<Map<String, Object>> metrics,
        List<Map<String, Object>> curves) {

    static final int MIN = 2, MAX = 5;

    /** A job as trainer-svc answers it, its curves, and tokenizer-svc's record of its train dataset (or missing). */
    record Run(JsonNode job, JsonNode curve, JsonNode dataset) {}

    static RunComparison of(List<Run> runs) {
        List<Map<String, String>> settings = new ArrayList<>();
        for (Run r : runs) settings.add(RunSettings.of(r.job().path("spec"), r.dataset()));
        List<String> names = RunSettings.union(settings);
        List<String> differ = RunSettings.differing(settings);
        return new RunComparison(
                runs.stream().map(RunComparison::summary).toList(),
                rows(differ, settings),
                names.size() - differ.size(),
                rows(names, settings),
                metrics(runs),
                runs.stream().map(RunComparison::curve).toList());
    }

    private static Map<String, Object> summary(Run r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.job().path("jobId").asText());
        m.put("status", r.job().path("status").asText());
        m.put("adapter", r.job().path("adapter").asText(null));
        return m;
    }

    private static List<Map<String, Object>> rows(List<String> names, List<Map<String, String>> settings) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String n : names) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", n);
            row.put("cells", settings.stream().map(s -> s.getOrDefault(n, "")).toList());
            out.add(row);
        }
        return out;
    }

    private static List<Map<String, Object>> metrics(List<Run> runs) {
        Map<String, Double[]> byName = new LinkedHashMap<>();
        for (int i = 0; i < runs.size(); i++) {
            for (Iterator<Map.Entry<String, JsonNode>> it =
                            runs.get(i).job().path("metrics").fields();
                    it.hasNext(); ) {
                Map.Entry<String, JsonNode> m = it.next();
                if (!m.getValue().isNumber()) continue;
                byName.computeIfAbsent(m.getKey(), k -> new Double[runs.size()])[i] =
                        m.getValue().asDouble();
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        byName.forEach((name, values) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", name);
            row.put("cells", Arrays.asList(values));
            row.put("best", best(name, values));
            out.add(row);
        });
        return out;
    }

    /**
     * The run with the best value of a metric: the highest AUROC, AUPRC, F1 or accuracy, the lowest loss or perplexity;
     * -1 for any other metric (steps, seconds …) or when fewer than two runs have it.
     */
    static int best(String name, Double[] values) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.startsWith("train.") || n.startsWith("before.")) return -1;
        int sign = n.contains("auroc") || n.contains("auprc") || n.contains("f1") || n.contains("accuracy")
                ? 1
                : n.endsWith("loss") || n.endsWith("perplexity") ? -1 : 0;
        if (sign == 0) return -1;
        int best = -1, present = 0;
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) continue;
            present++;
            if (best < 0 || sign * values[i] > sign * values[best]) best = i;
        }
        return present < 2 ? -1 : best;
    }

    private static Map<String, Object> curve(Run r) {
        List<double[]> loss = new ArrayList<>();
        for (JsonNode s : r.curve().path("steps"))
            loss.add(new double[] {s.path("step").asDouble(), s.path("loss").asDouble()});
        List<Object[]> epochs = new ArrayList<>();
        for (JsonNode e : r.curve().path("epochs"))
            epochs.add(new Object[] {
                e.path("epoch").asDouble(), number(e.path("validationMacroAuroc")), number(e.path("validationLoss"))
            });
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.job().path("jobId").asText());
        m.put("loss", loss);
        m.put("epochs", epochs);
        return m;
    }

    private static Double number(JsonNode n) {
        return n.isNumber() ? n.asDouble() : null;
    }
}
