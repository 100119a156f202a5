package org.clinlora.trainer.api;

import io.quarkus.security.Authenticated;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.util.List;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.jobs.JobSpec;
import org.clinlora.platform.search.PageWindow;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.trainer.jobs.JobPage;
import org.clinlora.trainer.jobs.JobQuery;
import org.clinlora.trainer.jobs.MetricsHistory;
import org.clinlora.trainer.jobs.TrainingJob;
import org.clinlora.trainer.jobs.TrainingJobs;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/v1/jobs")
@Tag(
        name = "jobs",
        description = "LoRA training jobs: Clinical LoRA (domain adaptation) and Downstream LoRA (classification)")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.TRAINER)
// Reading jobs (status, progress, metrics: no note text) needs a valid token and no role, as reading the registry does;
// submitting and cancelling need the trainer role.
public class JobsResource {
    /** How many jobs matched a search in all (the page holds at most limit of them). */
    static final String TOTAL_COUNT = PageWindow.TOTAL_COUNT_HEADER;

    private final TrainingJobs jobs;
    private final JsonWebToken jwt;

    public JobsResource(TrainingJobs jobs, JsonWebToken jwt) {
        this.jobs = jobs;
        this.jwt = jwt;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(
            summary = "Submit a training job",
            description =
                    "Body: {jobId?, kind (domain_adaptation|downstream), baseModel, datasets {train, validation?, test?}, "
                            + "parent? (name@version|alias), parentTrainable?, headOnly?, outputName, task?, lora {r, alpha, dropout, targetModules}, "
                            + "optim {learningRate, warmupRatio, batchSize, gradientAccumulation, epochs, maxSteps, weightDecay, maxGradNorm}, "
                            + "seed, device (auto|cpu|cuda[:n]), precision (fp32|fp16: fp16 computes in half on CUDA and holds the weights in half on CPU; bf16 is refused, "
                            + "DJL's PyTorch engine has no bfloat16), checkpointEvery}. "
                            + "Defaults are the paper's for the kind. 202 with the job at once; the same jobId and spec again is 200 with the same job; "
                            + "another spec under that id is 409; a full queue is 429.")
    @APIResponse(
            responseCode = "202",
            description = "The job, queued; Location is its URL",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = TrainingJob.class)))
    @APIResponse(
            responseCode = "200",
            description = "The same jobId and spec again: the same job",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = TrainingJob.class)))
    @APIResponse(responseCode = "404", description = "No such base model, dataset or parent adapter")
    @APIResponse(responseCode = "409", description = "The jobId exists with another spec")
    @APIResponse(
            responseCode = "422",
            description = "The job cannot run as asked (reason unsupported_by_base, device_unavailable, "
                    + "wrong_base_model, …)")
    @APIResponse(responseCode = "429", description = "Too many jobs are waiting (reason queue_full)")
    @APIResponse(responseCode = "502", description = "The registry answered the parent's lookup with an error")
    public Response submit(JobSpec spec, @Context UriInfo uri) {
        if (spec == null) throw new InvalidRequest("a JSON job spec is required");
        TrainingJobs.Submitted s = jobs.submit(spec, submitter());
        return Response.status(s.created() ? 202 : 200)
                .location(uri.getBaseUriBuilder()
                        .path("v1/jobs")
                        .path(s.job().jobId())
                        .build())
                .entity(s.job())
                .build();
    }

    @GET
    @Path("/{id}")
    @Authenticated
    @Operation(
            summary =
                    "A job: status (queued|running|succeeded|failed|cancelled), progress, published adapter and metrics, or reason")
    @APIResponse(responseCode = "200", description = "The job")
    @APIResponse(responseCode = "400", description = "Not a valid job id")
    @APIResponse(responseCode = "404", description = "No such job")
    public TrainingJob get(@PathParam("id") String id) {
        requireId(id);
        return jobs.get(id).orElseThrow(() -> new NotFound("no job '" + id + "'"));
    }

    @GET
    @Path("/{id}/metrics")
    @Authenticated
    @Operation(
            summary =
                    "A job's curves: per step (step, epoch, loss, learningRate, tokensPerSecond, gradNorm before clipping, "
                            + "lossScale) and per epoch (validationMacroAuroc, validationLoss)",
            description =
                    "steps: one point per optimizer step, live while the job runs and kept after it ends; ?after=N returns "
                            + "only later steps (for polling). epochs: every epoch scored on the validation split so far "
                            + "(downstream jobs that select their epoch, the default), whatever after is.")
    @APIResponse(responseCode = "200", description = "The points after step 'after'")
    @APIResponse(responseCode = "400", description = "Not a valid job id")
    @APIResponse(responseCode = "404", description = "No such job")
    public MetricsHistory.Curve metrics(@PathParam("id") String id, @QueryParam("after") @DefaultValue("0") int after) {
        requireId(id);
        return jobs.metrics(id, after);
    }

    @GET
    @Authenticated
    @Operation(
            summary = "Search jobs, paged: the runs table",
            description = "Every parameter is optional. q: words in a job's names (job id, output name, task, base "
                    + "model, datasets, parent, published adapter; case-insensitive); task, base (model id), kind "
                    + "(domain_adaptation|downstream): exact; status: one or more of queued, running, succeeded, "
                    + "failed, cancelled (repeated or comma-separated); since / until: the creation time, a day "
                    + "(2026-03-01, UTC, until includes it) or an ISO-8601 instant; sort: createdAt (default), "
                    + "updatedAt, jobId, status, task, baseModel or metrics.<name> (e.g. metrics.test.macro_auroc; "
                    + "jobs without it last); order: desc (default) or asc; offset (0) and limit (50, at most 500). "
                    + "The answer's nextOffset is the next page's offset, null on the last page.")
    @APIResponse(
            responseCode = "200",
            description = "A page of jobs (the array clients read before paging existed); X-Total-Count says how many "
                    + "matched in all and Link (rel=\"next\", RFC 8288) names the next page, absent on the last one",
            headers = {
                @Header(name = JobsResource.TOTAL_COUNT, schema = @Schema(type = SchemaType.INTEGER)),
                @Header(name = HttpHeaders.LINK, schema = @Schema(type = SchemaType.STRING))
            },
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(type = SchemaType.ARRAY, implementation = TrainingJob.class)))
    @APIResponse(
            responseCode = "400",
            description = "A parameter not understood: an unknown status, kind, sort field or order, a date that is "
                    + "not ISO-8601, since not before until, offset or limit out of range")
    public Response list(
            @QueryParam("q") String q,
            @QueryParam("task") String task,
            @QueryParam("base") String base,
            @QueryParam("status") List<String> status,
            @QueryParam("kind") String kind,
            @QueryParam("since") String since,
            @QueryParam("until") String until,
            @QueryParam("sort") String sort,
            @QueryParam("order") String order,
            @QueryParam("offset") String offset,
            @QueryParam("limit") String limit,
            @Context UriInfo uri) {
        JobQuery query = JobQuery.parse(q, task, base, status, kind, since, until, sort, order);
        JobPage page = jobs.search(query, PageWindow.parse(offset, limit, 50, 500));
        // The body stays the bare array of before paging, so existing clients keep working; the page is in headers.
        Response.ResponseBuilder answer = Response.ok(page.jobs()).header(TOTAL_COUNT, page.total());
        if (page.nextOffset() != null) {
            URI next = uri.getRequestUriBuilder()
                    .replaceQueryParam("offset", page.nextOffset())
                    .build();
            answer.link(next, "next");
        }
        return answer.build();
    }

    @DELETE
    @Path("/{id}")
    @Operation(
            summary = "Cancel a job: a queued one at once, a running one at its next micro-batch; nothing is published")
    @APIResponse(
            responseCode = "202",
            description = "Cancelled (a queued job) or to be cancelled at its next micro-batch (a running one)",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = TrainingJob.class)))
    @APIResponse(responseCode = "400", description = "Not a valid job id")
    @APIResponse(responseCode = "404", description = "No such job")
    @APIResponse(responseCode = "409", description = "The job has already ended")
    public Response cancel(@PathParam("id") String id) {
        requireId(id);
        return Response.status(202).entity(jobs.cancel(id)).build();
    }

    /**
     * Who submitted the job, from the verified token ({@code sub}, else its principal name), never from the body: it is
     * recorded on the job and on the cards the job publishes.
     */
    private String submitter() {
        String sub = jwt.getSubject();
        return sub == null || sub.isBlank() ? jwt.getName() : sub;
    }

    private static void requireId(String id) {
        try {
            StoreLayout.requireName(id);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest("job id: " + e.getMessage());
        }
    }
}
