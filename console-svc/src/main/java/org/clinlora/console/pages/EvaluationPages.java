package org.clinlora.console.pages;

import static org.clinlora.console.backend.ServiceCalls.Service.REGISTRY;
import static org.clinlora.console.backend.ServiceCalls.Service.SCORER;
import static org.clinlora.console.backend.ServiceCalls.encode;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.Authenticated;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.console.backend.ServiceCalls;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.failure.InvalidRequest;

/**
 * Evaluations: ROC and precision-recall curves per label and the macro ROC, with the confusion matrix of a single-label
 * task — for a version's test split (the {@code evaluation.json} the trainer published with it, sha256-verified by the
 * registry) and for an evaluation run here through scorer-svc's {@code POST /v1/evaluate}.
 */
@Path("/evaluations")
@Authenticated
@Produces(MediaType.TEXT_HTML)
public class EvaluationPages {
    static final String FILE = "evaluation.json";

    private final ServiceCalls calls;
    private final SignedInUser session;
    private final Template evaluations;
    private final Template evaluation;

    public EvaluationPages(ServiceCalls calls, SignedInUser session, Template evaluations, Template evaluation) {
        this.calls = calls;
        this.session = session;
        this.evaluations = evaluations;
        this.evaluation = evaluation;
    }

    /** Versions that carry an evaluation, newest first per adapter; and the form for a new one. */
    @GET
    public TemplateInstance list() {
        String token = session.bearer();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (JsonNode versions :
                RegistryView.read(calls, token, false).versions().values()) {
            for (int i = versions.size() - 1; i >= 0; i--) {
                JsonNode c = versions.get(i);
                if (!c.path("files").has(FILE)) continue;
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("name", c.path("name").asText());
                row.put("version", c.path("version").asInt());
                row.put("task", c.path("task").asText());
                row.put(
                        "macroAuroc",
                        c.path("metrics").path("test.macro_auroc").isNumber()
                                ? c.path("metrics").path("test.macro_auroc").asDouble()
                                : null);
                rows.add(row);
            }
        }
        return evaluations
                .data("user", session.user())
                .data("rows", rows)
                .data("canEvaluate", session.user().has(Roles.SCORER_CLIENT));
    }

    @GET
    @Path("/{name}/{version}")
    public TemplateInstance version(@PathParam("name") String name, @PathParam("version") int version) {
        RegistryPages.requireName(name);
        String path = "/v1/adapters/" + encode(name) + "/versions/" + version + "/files/" + FILE;
        JsonNode e = calls.require(calls.get(REGISTRY, path, session.bearer()));
        return page(name + "@" + version + " — test split", e.path("metrics"), e.path("curves"));
    }

    @POST
    @Path("/run")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public TemplateInstance run(
            @FormParam("datasetId") String datasetId,
            @FormParam("task") String task,
            @FormParam("split") String split) {
        if (datasetId == null || datasetId.isBlank() || task == null || task.isBlank())
            throw new InvalidRequest("a dataset id and a task are required");
        Map<String, Object> body = Map.of(
                "datasetId",
                datasetId.strip(),
                "task",
                task.strip(),
                "split",
                split == null || split.isBlank() ? "test" : split);
        JsonNode r = calls.require(
                calls.send(SCORER, "POST", "/v1/evaluate", body, session.bearer(), Duration.ofMinutes(10)));
        return page(
                r.path("adapter").asText() + " on " + r.path("datasetId").asText() + " ("
                        + r.path("split").asText() + ")",
                r.path("metrics"),
                r.path("curves"));
    }

    private TemplateInstance page(String title, JsonNode metrics, JsonNode curves) {
        List<Map<String, Object>> labels = new ArrayList<>();
        for (JsonNode l : curves.path("labels")) labels.add(PageData.map(l));
        return evaluation
                .data("user", session.user())
                .data("title", title)
                .data("metrics", PageData.map(metrics))
                .data(
                        "macroAuroc",
                        metrics.path("macro_auroc").isNumber()
                                ? metrics.path("macro_auroc").asDouble()
                                : null)
                .data("labels", labels)
                .data("confusionLabels", PageData.list(curves.path("confusionLabels")))
                .data("confusion", PageData.list(curves.path("confusionMatrix")))
                .data("curvesJson", PageData.scriptJson(curves));
    }
}
