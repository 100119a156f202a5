package org.clinlora.console.pages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the compare page puts side by side: the settings that differ, the final metrics with the best marked. */
class RunComparisonTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static RunComparison.Run run(String id, double lr, int epochs, String metrics, String curve) throws Exception {
        JsonNode job = JSON.readTree("{\"jobId\":\"" + id + "\",\"status\":\"succeeded\",\"spec\":{\"jobId\":\"" + id
                + "\",\"kind\":\"downstream\",\"baseModel\":\"tiny\",\"datasets\":{\"train\":\"los\"},"
                + "\"lora\":{\"r\":8,\"alpha\":4.0,\"dropout\":0.1},\"optim\":{\"learningRate\":" + lr
                + ",\"batchSize\":8,\"gradientAccumulation\":2,\"epochs\":" + epochs + "},\"seed\":1},"
                + "\"metrics\":" + metrics + "}");
        return new RunComparison.Run(job, JSON.readTree(curve), MissingNode.getInstance());
    }

    @Test
    void onlyTheSettingsThatDifferAreListedAndTheBestScoreIsMarked() throws Exception {
        RunComparison c = RunComparison.of(List.of(
                run(
                        "a",
                        0.01,
                        2,
                        "{\"test.macro_auroc\":0.71,\"validation.loss\":0.9,\"train.seconds\":3}",
                        "{\"steps\":[{\"step\":1,\"loss\":2.0},{\"step\":2,\"loss\":1.5}],"
                                + "\"epochs\":[{\"epoch\":1.0,\"step\":1,\"validationMacroAuroc\":0.6,"
                                + "\"validationLoss\":1.1}]}"),
                run(
                        "b",
                        0.005,
                        2,
                        "{\"test.macro_auroc\":0.78,\"validation.loss\":0.8,\"train.seconds\":9}",
                        "{\"steps\":[],\"epochs\":[]}")));
        assertEquals(
                List.of("optim.learningRate"),
                c.differing().stream().map(r -> r.get("name")).toList(),
                "the rest (r, alpha, epochs, the effective batch …) is the same");
        assertEquals(List.of("0.01", "0.005"), c.differing().get(0).get("cells"));
        assertTrue(c.same() > 8, "the shared settings are counted: " + c.same());
        Map<String, Object> auroc = metric(c, "test.macro_auroc"), loss = metric(c, "validation.loss");
        assertEquals(1, auroc.get("best"), "the higher AUROC");
        assertEquals(1, loss.get("best"), "the lower loss");
        assertEquals(-1, metric(c, "train.seconds").get("best"), "no best for a cost");
        assertEquals(
                List.of(List.of(1.0, 0.6, 1.1)),
                toLists(c.curves().get(0).get("epochs")),
                "each epoch as [epoch, validation AUROC, validation loss]");
    }

    @Test
    void aMetricOnlyOneRunHasHasNoBest() {
        assertEquals(-1, RunComparison.best("test.macro_auroc", new Double[] {0.7, null}));
        assertEquals(0, RunComparison.best("validation.perplexity", new Double[] {3.0, 4.0}));
    }

    private static Map<String, Object> metric(RunComparison c, String name) {
        return c.metrics().stream()
                .filter(m -> m.get("name").equals(name))
                .findFirst()
                .orElseThrow();
    }

    private static List<List<Double>> toLists(Object epochs) {
        return ((List<?>) epochs)
                .stream()
                        .map(e ->
                                Arrays.stream((Object[]) e).map(x -> (Double) x).toList())
                        .toList();
    }
}
