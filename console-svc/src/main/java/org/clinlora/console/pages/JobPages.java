package org.clinlora.console.pages;

import static org.clinlora.console.backend.ServiceCalls.Service.TOKENIZER;
import static org.clinlora.console.backend.ServiceCalls.Service.TRAINER;
import static org.clinlora.console.backend.ServiceCalls.encode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.Authenticated;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.console.ConsoleConfig;
import org.clinlora.console.backend.ServiceCalls;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.store.StoreLayout;

/**
 * Training jobs as a run tracker: the runs table — searched, filtered, sorted and paged by trainer-svc's {@code GET
 * /v1/jobs}, with checkboxes to compare runs ({@link ComparePages}) — and a job's page with its full settings, its
 * loss, learning-rate and tokens/s curves (one point per optimizer step; the page asks for new steps every poll
 * interval while the job runs), its validation scores per epoch, its metrics and a cancel button. {@code /api/jobs/...}
 * are the JSON the page polls.
 */
@Path("/")
@Authenticated
public class JobPages {
    private final ServiceCalls calls;
    private final SignedInUser session;
    private final Template jobs;
    private final Template job;
    private final ConsoleConfig config;

    public JobPages(ServiceCalls calls, SignedInUser session, Template jobs, Template job, ConsoleConfig config) {
        this.calls = calls;
        this.session = session;
        this.jobs = jobs;
        this.job = job;
        this.config = config;
    }

    /** What the jobs page searches by: trainer-svc's {@code GET /v1/jobs} parameters. */
    static final List<String> SEARCH =
            List.of("q", "task", "base", "status", "kind", "since", "until", "sort", "order");

    static final List<String> STATUSES = List.of("queued", "running", "succeeded", "failed", "cancelled");

    @GET
    @Path("jobs")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance list(@Context UriInfo uri) {
        SearchForm form = SearchForm.of(uri.getQueryParameters(), SEARCH, 50);
        ServiceCalls.Reply answer = calls.get(TRAINER, "/v1/jobs" + form.serviceQuery(), session.bearer());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (JsonNode j : calls.require(answer)) rows.add(row(j));
        int total = answer.totalCount() == null ? form.offset() + rows.size() : answer.totalCount();
        boolean more = form.offset() + rows.size() < total;
        List<Map<String, Object>> statuses = new ArrayList<>();
        for (String st : STATUSES) statuses.add(Map.of("name", st, "checked", form.has("status", st)));
        return jobs.data("user", session.user())
                .data("jobs", rows)
                .data("form", form.fields())
                .data("statuses", statuses)
                .data("total", total)
                .data("from", rows.isEmpty() ? 0 : form.offset() + 1)
                .data("to", form.offset() + rows.size())
                .data("next", more ? form.at("/jobs", form.offset() + rows.size()) : null)
                .data(
                        "previous",
                        form.offset() > 0 ? form.at("/jobs", Math.max(0, form.offset() - form.limit())) : null);
    }

    /** A job as the table shows it: its record, with the test macro AUROC and its version's artifacts page. */
    private static Map<String, Object> row(JsonNode j) {
        Map<String, Object> row = new LinkedHashMap<>(PageData.map(j));
        JsonNode auroc = j.path("metrics").path("test.macro_auroc");
        if (auroc.isNumber()) row.put("testAuroc", auroc.asDouble());
        if (j.hasNonNull("adapter"))
            row.put("adapterPath", j.path("adapter").asText().replace("@", "/"));
        return row;
    }

    @GET
    @Path("jobs/{id}")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance show(@PathParam("id") String id) {
        requireId(id);
        String token = session.bearer();
        JsonNode j = calls.require(calls.get(TRAINER, "/v1/jobs/" + encode(id), token));
        JsonNode curve = calls.require(calls.get(TRAINER, "/v1/jobs/" + encode(id) + "/metrics", token));
        String adapter = j.path("adapter").asText(null);
        List<Map<String, Object>> settings = new ArrayList<>();
        RunSettings.of(j.path("spec"), trainDataset(calls, j, token))
                .forEach((k, v) -> settings.add(Map.of("name", k, "value", v)));
        return job.data("user", session.user())
                .data("job", PageData.map(j))
                .data("id", id)
                .data("settings", settings)
                .data("epochs", PageData.list(curve.path("epochs")))
                .data(
                        "selectedStep",
                        j.path("metrics").path("train.selected_step").asInt(-1))
                .data("evaluation", adapter == null ? null : "/evaluations/" + adapter.replace("@", "/"))
                .data("artifacts", adapter == null ? null : "/registry/" + adapter.replace("@", "/"))
                .data("canCancel", session.user().has(Roles.TRAINER))
                .data(
                        "curveJson",
                        PageData.scriptJson(Map.of(
                                "steps",
                                curve.path("steps"),
                                "epochs",
                                curve.path("epochs"),
                                "status",
                                j.path("status").asText(),
                                "pollMillis",
                                config.pollInterval().toMillis(),
                                "totalSteps",
                                j.path("progress").path("totalSteps").asInt(0))));
    }

    /**
     * tokenizer-svc's record of the job's train dataset (its row length and truncation), or a missing node: a dataset
     * built another way has none, and an unreachable tokenizer-svc must not take the job's page down.
     */
    static JsonNode trainDataset(ServiceCalls calls, JsonNode job, String token) {
        String ds = job.path("spec").path("datasets").path("train").asText("");
        if (ds.isEmpty()) return MissingNode.getInstance();
        try {
            ServiceCalls.Reply r = calls.get(TOKENIZER, "/v1/datasets/" + encode(ds), token);
            return r.ok() ? r.body() : MissingNode.getInstance();
        } catch (RuntimeException e) {
            return MissingNode.getInstance();
        }
    }

    @POST
    @Path("jobs/{id}/cancel")
    @Produces(MediaType.TEXT_HTML)
    public Response cancel(@PathParam("id") String id) {
        requireId(id);
        calls.require(calls.send(
                TRAINER, "DELETE", "/v1/jobs/" + encode(id), null, session.bearer(), Duration.ofSeconds(30)));
        return Response.seeOther(URI.create("/jobs/" + encode(id))).build();
    }

    /** The steps after {@code after} and the job's status, for the page's live curves. */
    @GET
    @Path("api/jobs/{id}/metrics")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> metrics(@PathParam("id") String id, @QueryParam("after") @DefaultValue("0") int after) {
        requireId(id);
        String token = session.bearer();
        JsonNode curve = calls.require(calls.get(TRAINER, "/v1/jobs/" + encode(id) + "/metrics?after=" + after, token));
        JsonNode j = calls.require(calls.get(TRAINER, "/v1/jobs/" + encode(id), token));
        return Map.of(
                "steps",
                curve.path("steps"),
                "epochs",
                curve.path("epochs"),
                "status",
                j.path("status").asText(),
                "progress",
                j.path("progress"));
    }

    static void requireId(String id) {
        try {
            StoreLayout.requireName(id);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest("job id: " + e.getMessage());
        }
    }
}
