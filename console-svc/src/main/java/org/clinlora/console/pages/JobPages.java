package org.clinlora.console.pages;

import static org.clinlora.console.backend.ServiceCalls.Service.TRAINER;
import static org.clinlora.console.backend.ServiceCalls.encode;

import com.fasterxml.jackson.databind.JsonNode;
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
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.clinlora.console.ConsoleConfig;
import org.clinlora.console.backend.ServiceCalls;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.store.StoreLayout;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Training jobs: the queue and history, and a job's page with its loss, learning-rate and tokens/s curves (one point
 * per optimizer step, from trainer-svc's per-step history; the page asks for new steps every poll interval while the
 * job runs), its evaluation metrics and a cancel button. {@code /api/jobs/...} are the JSON the page polls.
 */
@Path("/")
@Authenticated
public class JobPages {
    private final ServiceCalls calls;
    private final JsonWebToken jwt;
    private final Template jobs;
    private final Template job;
    private final ConsoleConfig config;

    public JobPages(ServiceCalls calls, JsonWebToken jwt, Template jobs, Template job, ConsoleConfig config) {
        this.calls = calls;
        this.jwt = jwt;
        this.jobs = jobs;
        this.job = job;
        this.config = config;
    }

    @GET
    @Path("jobs")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance list() {
        JsonNode all = calls.require(calls.get(TRAINER, "/v1/jobs?limit=200", jwt.getRawToken()));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (JsonNode j : all) rows.add(PageData.map(j));
        return jobs.data("user", PageData.user(jwt)).data("jobs", rows);
    }

    @GET
    @Path("jobs/{id}")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance show(@PathParam("id") String id) {
        requireId(id);
        String token = jwt.getRawToken();
        JsonNode j = calls.require(calls.get(TRAINER, "/v1/jobs/" + encode(id), token));
        JsonNode curve = calls.require(calls.get(TRAINER, "/v1/jobs/" + encode(id) + "/metrics", token));
        String adapter = j.path("adapter").asText(null);
        return job.data("user", PageData.user(jwt))
                .data("job", PageData.map(j))
                .data("id", id)
                .data("evaluation", adapter == null ? null : "/evaluations/" + adapter.replace("@", "/"))
                .data("canCancel", PageData.user(jwt).has(Roles.TRAINER))
                .data(
                        "curveJson",
                        PageData.scriptJson(Map.of(
                                "steps",
                                curve.path("steps"),
                                "status",
                                j.path("status").asText(),
                                "pollMillis",
                                config.pollInterval().toMillis(),
                                "totalSteps",
                                j.path("progress").path("totalSteps").asInt(0))));
    }

    @POST
    @Path("jobs/{id}/cancel")
    @Produces(MediaType.TEXT_HTML)
    public Response cancel(@PathParam("id") String id) {
        requireId(id);
        calls.require(calls.send(
                TRAINER, "DELETE", "/v1/jobs/" + encode(id), null, jwt.getRawToken(), Duration.ofSeconds(30)));
        return Response.seeOther(URI.create("/jobs/" + encode(id))).build();
    }

    /** The steps after {@code after} and the job's status, for the page's live curves. */
    @GET
    @Path("api/jobs/{id}/metrics")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> metrics(@PathParam("id") String id, @QueryParam("after") @DefaultValue("0") int after) {
        requireId(id);
        String token = jwt.getRawToken();
        JsonNode curve = calls.require(calls.get(TRAINER, "/v1/jobs/" + encode(id) + "/metrics?after=" + after, token));
        JsonNode j = calls.require(calls.get(TRAINER, "/v1/jobs/" + encode(id), token));
        return Map.of(
                "steps", curve.path("steps"), "status", j.path("status").asText(), "progress", j.path("progress"));
    }

    static void requireId(String id) {
        try {
            StoreLayout.requireName(id);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest("job id: " + e.getMessage());
        }
    }
}
