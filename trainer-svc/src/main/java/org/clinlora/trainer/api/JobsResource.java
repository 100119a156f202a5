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
import org.eclipse.microprofile.openapi.annotations.Operation;
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

    public JobsResource(TrainingJobs jobs) {
        this.jobs = jobs;
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
    public Response submit(JobSpec spec, @Context UriInfo uri) {
        if (spec == null) throw new InvalidRequest("a JSON job spec is required");
        TrainingJobs.Submitted s = jobs.submit(spec);
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
    public MetricsHistory.Curve metrics(@PathParam("id") String id, @QueryParam("after") @DefaultValue("0") int after) {
        requireId(id);
        return jobs.metrics(id, after);
    }

    @GET
    @Authenticated
    @Operation(summary = "Recent jobs, newest first")
    public List<TrainingJob> list(@QueryParam("limit") @DefaultValue("50") int limit) {
        if (limit < 1 || limit > 500) throw new InvalidRequest("limit must be between 1 and 500");
        return jobs.list(limit);
    }

    @DELETE
    @Path("/{id}")
    @Operation(
            summary = "Cancel a job: a queued one at once, a running one at its next micro-batch; nothing is published")
    public Response cancel(@PathParam("id") String id) {
        requireId(id);
        return Response.status(202).entity(jobs.cancel(id)).build();
    }

    private static void requireId(String id) {
        try {
            StoreLayout.requireName(id);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest("job id: " + e.getMessage());
        }
    }
}
