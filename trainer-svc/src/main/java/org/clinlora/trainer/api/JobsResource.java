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
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.jobs.JobSpec;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.trainer.jobs.MetricsHistory;
import org.clinlora.trainer.jobs.TrainingJob;
import org.clinlora.trainer.jobs.TrainingJobs;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;
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
                    "A job's per-step metrics: step, epoch, loss, learningRate, tokensPerSecond, gradNorm (before clipping), lossScale",
            description =
                    "One point per optimizer step, live while the job runs and kept after it ends; ?after=N returns only later steps (for polling).")
    @APIResponse(responseCode = "200", description = "The points after step 'after'")
    @APIResponse(responseCode = "400", description = "Not a valid job id")
    @APIResponse(responseCode = "404", description = "No such job")
    public MetricsHistory.Curve metrics(@PathParam("id") String id, @QueryParam("after") @DefaultValue("0") int after) {
        requireId(id);
        return jobs.metrics(id, after);
    }

    @GET
    @Authenticated
    @Operation(summary = "Recent jobs, newest first")
    @APIResponse(responseCode = "200", description = "The jobs, newest first")
    @APIResponse(responseCode = "400", description = "limit out of range")
    public List<TrainingJob> list(@QueryParam("limit") @DefaultValue("50") int limit) {
        if (limit < 1 || limit > 500) throw new InvalidRequest("limit must be between 1 and 500");
        return jobs.list(limit);
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
