package org.clinlora.tokenizer.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.security.Authenticated;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.limits.SubjectLimits;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.tokenizer.datasets.DatasetBuilds;
import org.clinlora.tokenizer.datasets.DatasetJob;
import org.clinlora.tokenizer.datasets.DatasetSpec;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/v1/datasets")
@Tag(name = "datasets", description = "Token datasets (safetensors shards + manifest.json) built in the background")
@RolesAllowed(Roles.DATA_ENGINEER)
public class DatasetsResource {
    private final DatasetBuilds builds;
    private final SubjectLimits limits;

    public DatasetsResource(DatasetBuilds builds, SubjectLimits limits) {
        this.builds = builds;
        this.limits = limits;
    }

    /** The job, and the manifest once the dataset is ready. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record DatasetStatus(
            String datasetId,
            String status,
            String reason,
            DatasetJob.Progress progress,
            Map<String, Object> counts,
            String manifestSha256,
            DatasetSpec spec,
            String createdAt,
            String updatedAt,
            JsonNode manifest) {
        static DatasetStatus of(DatasetJob j, JsonNode manifest) {
            return new DatasetStatus(
                    j.datasetId(),
                    j.status(),
                    j.reason(),
                    j.progress(),
                    j.counts(),
                    j.manifestSha256(),
                    j.spec(),
                    j.createdAt(),
                    j.updatedAt(),
                    manifest);
        }
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(
            summary = "Build a dataset from object-store files or a notes.raw stream",
            description =
                    "Body: {model, kind (causal_lm|classification), sources: [object keys] (MIMIC-IV-Note CSV or task CSV, "
                            + "gzip or plain; split by patient) or splits: {train, validation, test} (a task's own files, used as they are) or stream "
                            + "(a notes.raw stream name), format (mimic-notes|task|core|beep), columns: {idColumn, textColumn, labelColumn, labelSeparator}, "
                            + "seqLen (512 causal_lm, 128 classification), "
                            + "truncation (head|tail|head_tail), normalize (true), labels (names in order; default: every label in the data, sorted), "
                            + "multilabel, validationFraction (0.1), testFraction (0.1), seed (0), onMalformed (fail|skip), rowsPerShard (4096), datasetId}. "
                            + "202 with the dataset id at once; the same datasetId and spec again is 200 with the same build; another spec is 409.")
    @APIResponse(
            responseCode = "202",
            description = "The build, queued; Location is its URL",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = DatasetStatus.class)))
    @APIResponse(
            responseCode = "200",
            description = "The same datasetId and spec again: the same build",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = DatasetStatus.class)))
    @APIResponse(responseCode = "404", description = "No such base model, source object or stream")
    @APIResponse(responseCode = "409", description = "The datasetId exists with another spec or source")
    @APIResponse(
            responseCode = "422",
            description = "The spec does not fit the model (reason invalid_dataset, invalid_tokenizer)")
    @APIResponse(
            responseCode = "429",
            description =
                    "Too many builds are waiting (reason queue_full), or the caller is over its rate (rate_limited)")
    public Response create(DatasetSpec spec, @Context UriInfo uri) {
        limits.admit(0);
        if (spec == null) throw new InvalidRequest("a JSON body with model, kind and sources or stream is required");
        return accepted(builds.submit(spec), uri);
    }

    @POST
    @Consumes({"text/csv", "application/gzip", MediaType.APPLICATION_OCTET_STREAM})
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(
            summary = "Build a dataset from an uploaded CSV (or .csv.gz) file",
            description =
                    "The body is the file; the spec is in query parameters with the JSON form's names (labels comma-separated). "
                            + "The upload is kept in the bucket under dataset-uploads/{id}/ so an interrupted build can run again.")
    @APIResponse(
            responseCode = "202",
            description = "The build, queued; Location is its URL",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = DatasetStatus.class)))
    @APIResponse(
            responseCode = "200",
            description = "The same datasetId, spec and file again: the same build",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = DatasetStatus.class)))
    @APIResponse(responseCode = "400", description = "An empty file, or a spec that breaks a rule")
    @APIResponse(responseCode = "404", description = "No such base model")
    @APIResponse(responseCode = "409", description = "The datasetId exists with another spec or source")
    @APIResponse(
            responseCode = "422",
            description = "The spec does not fit the model (reason invalid_dataset, invalid_tokenizer)")
    @APIResponse(
            responseCode = "429",
            description =
                    "Too many builds are waiting (reason queue_full), or the caller is over its rate (rate_limited)")
    public Response upload(
            InputStream body,
            @QueryParam("model") String model,
            @QueryParam("kind") String kind,
            @QueryParam("format") String format,
            @QueryParam("seqLen") Integer seqLen,
            @QueryParam("truncation") String truncation,
            @QueryParam("normalize") Boolean normalize,
            @QueryParam("labels") String labels,
            @QueryParam("multilabel") Boolean multilabel,
            @QueryParam("validationFraction") Double validationFraction,
            @QueryParam("testFraction") Double testFraction,
            @QueryParam("seed") Long seed,
            @QueryParam("onMalformed") String onMalformed,
            @QueryParam("rowsPerShard") Integer rowsPerShard,
            @QueryParam("datasetId") String datasetId,
            @HeaderParam("Content-Length") Long contentLength,
            @Context UriInfo uri)
            throws IOException {
        // The upload is note text: its declared length counts now; a chunked one is counted once read, below.
        limits.admit(contentLength == null ? 0 : contentLength);
        List<String> labelList = labels == null
                ? null
                : Arrays.stream(labels.split(",")).map(String::trim).toList();
        DatasetSpec spec = new DatasetSpec(
                datasetId,
                model,
                kind,
                format,
                List.of("upload"),
                null,
                null,
                null,
                seqLen,
                truncation,
                normalize,
                labelList,
                multilabel,
                validationFraction,
                testFraction,
                seed,
                onMalformed,
                rowsPerShard);
        var tmp = Files.createTempFile("dataset-upload", ".csv"); // var: Path is the JAX-RS annotation here
        try {
            long n = body == null ? 0 : Files.copy(body, tmp, StandardCopyOption.REPLACE_EXISTING);
            if (contentLength == null) limits.charge(n);
            if (n == 0) throw new InvalidRequest("the uploaded file is empty");
            return accepted(builds.submitUpload(spec, tmp), uri);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Authenticated
    @Operation(
            summary =
                    "Recent dataset builds, newest first (status, progress, counts; no manifests). Any valid token may read.")
    @APIResponse(responseCode = "200", description = "The builds, newest first")
    @APIResponse(responseCode = "400", description = "limit out of range")
    public List<DatasetStatus> list(@QueryParam("limit") @DefaultValue("50") int limit) {
        if (limit < 1 || limit > 500) throw new InvalidRequest("limit must be between 1 and 500");
        return builds.list(limit).stream().map(j -> DatasetStatus.of(j, null)).toList();
    }

    @GET
    @Path("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Authenticated
    @Operation(
            summary =
                    "A dataset build: status (queued|building|ready|failed), progress, counts, reason, and the manifest when ready. Any valid token may read.")
    @APIResponse(responseCode = "200", description = "The build")
    @APIResponse(responseCode = "400", description = "Not a valid dataset id")
    @APIResponse(responseCode = "404", description = "No such dataset")
    public DatasetStatus get(@PathParam("id") String id) {
        try {
            StoreLayout.requireName(id);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest("dataset id: " + e.getMessage());
        }
        DatasetJob job = builds.get(id).orElseThrow(() -> new NotFound("no dataset '" + id + "'"));
        return DatasetStatus.of(
                job, DatasetJob.READY.equals(job.status()) ? builds.manifest(id).orElse(null) : null);
    }

    private static Response accepted(DatasetBuilds.Submitted s, UriInfo uri) {
        return Response.status(s.created() ? 202 : 200)
                .location(uri.getBaseUriBuilder()
                        .path("v1/datasets")
                        .path(s.job().datasetId())
                        .build())
                .entity(DatasetStatus.of(s.job(), null))
                .build();
    }
}
